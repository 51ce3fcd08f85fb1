"""The networks of DCGAN, following the architecture guidelines of Radford et al. 2016.

Generator: a projection of ``z`` to a 4x4 map, then transposed convolutions that double the
resolution and halve the width, batch norm and ReLU, tanh at the output. Discriminator: the mirror
image with strided convolutions and LeakyReLU(0.2), no batch norm on its input layer, no pooling
and no fully connected hidden layers. Weights start from N(0, 0.02) as in the paper.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from zoo.config_checks import Size
from zoo.model import ImageShapeFromData, UnconditionalGAN


def _stages(resolution: int) -> int:
    """Number of 2x up/down-sampling stages between 4x4 and ``resolution``."""
    stages = math.log2(resolution) - 2
    if resolution < 8 or not stages.is_integer():
        raise ValueError(f"DCGAN resolution must be a power of two, at least 8 (32 or 64), not {resolution}")
    return int(stages)


class Generator(nn.Module):
    """``(N, latent_dim)`` noise to ``(N, channels, resolution, resolution)`` images in [-1, 1]."""

    def __init__(self, latent_dim: int, resolution: int, channels: int, width: int) -> None:
        super().__init__()
        stages = _stages(resolution)
        ch = width * 2 ** (stages - 1)
        layers: list[nn.Module] = [
            nn.ConvTranspose2d(latent_dim, ch, 4, 1, 0, bias=False),
            nn.BatchNorm2d(ch),
            nn.ReLU(True),
        ]
        for _ in range(stages - 1):
            layers += [
                nn.ConvTranspose2d(ch, ch // 2, 4, 2, 1, bias=False),
                nn.BatchNorm2d(ch // 2),
                nn.ReLU(True),
            ]
            ch //= 2
        layers += [nn.ConvTranspose2d(ch, channels, 4, 2, 1, bias=False), nn.Tanh()]
        self.main = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.main(z[:, :, None, None])


class Discriminator(nn.Module):
    """Images to one real/fake logit each."""

    def __init__(self, resolution: int, channels: int, width: int) -> None:
        super().__init__()
        stages = _stages(resolution)
        layers: list[nn.Module] = [nn.Conv2d(channels, width, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, True)]
        ch = width
        for _ in range(stages - 1):
            layers += [
                nn.Conv2d(ch, ch * 2, 4, 2, 1, bias=False),
                nn.BatchNorm2d(ch * 2),
                nn.LeakyReLU(0.2, True),
            ]
            ch *= 2
        layers.append(nn.Conv2d(ch, 1, 4, 1, 0, bias=False))
        self.main = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.main(x).flatten()


def init_weights(module: nn.Module) -> None:
    """DCGAN initialisation: convolutions N(0, 0.02), batch-norm scales N(1, 0.02), biases 0."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(module.weight, 0.0, 0.02)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


class DCGAN(ImageShapeFromData, UnconditionalGAN):
    """A DCGAN generator and discriminator at ``resolution`` (32 or 64) with base ``width``;
    ``discriminator=False`` builds the generator alone (inference weights, e.g. converted ones)."""

    config_constraints = {
        "latent_dim": Size(),
        "resolution": Size(min=8, power_of_two=True),
        "channels": Size(),
        "width": Size(),
    }

    #: The paper's image size: a folder of images that are not square powers of two is resized to it.
    DATA_RESOLUTION = 64

    def __init__(
        self,
        latent_dim: int = 100,
        resolution: int = 32,
        channels: int = 1,
        width: int = 64,
        discriminator: bool = True,
    ) -> None:
        super().__init__()
        self.latent_dim = latent_dim
        self.generator = Generator(latent_dim, resolution, channels, width)
        self.discriminator = Discriminator(resolution, channels, width) if discriminator else None
        self.apply(init_weights)

    @classmethod
    def convert_original(
        cls, state_g: dict[str, torch.Tensor], state_d: dict[str, torch.Tensor] | None = None
    ) -> tuple[dict[str, torch.Tensor], dict]:
        """pytorch/examples' ``netG_epoch_N.pth`` (and optionally ``netD_epoch_N.pth``) as our weights."""
        from zoo_plugins.dcgan.convert import dcgan_from_original

        return dcgan_from_original(state_g, state_d)
