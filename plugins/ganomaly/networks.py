"""The networks of GANomaly, as in Akcay et al. 2018 and the official samet-akcay/ganomaly code.

DCGAN-style blocks: the encoder halves the resolution with strided 4x4 convolutions (batch norm and
LeakyReLU(0.2) after all but the first) down to 4x4, then a 4x4 convolution gives the latent vector;
the decoder mirrors it with transposed convolutions, batch norm, ReLU and a tanh output. The
generator is encoder -> decoder -> encoder; the discriminator is an encoder with one output whose
last 4x4 feature map doubles as the feature extractor of the adversarial (feature-matching) loss.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from zoo_plugins.dcgan.networks import Generator as Decoder  # the DCGAN generator, as in the official code


def _halvings(resolution: int) -> int:
    """How many stride-2 convolutions take ``resolution`` down to 4x4 (2 for 16, 3 for 32, 4 for 64)."""
    halvings = math.log2(resolution) - 2
    if resolution < 16 or not halvings.is_integer():
        raise ValueError(
            f"GANomaly resolution must be a power of two, at least 16 (32 or 64), not {resolution}"
        )
    return int(halvings)


class Encoder(nn.Module):
    """``(N, channels, R, R)`` images to ``(N, out_dim)`` vectors; ``features`` is the 4x4 map before them."""

    def __init__(self, resolution: int, channels: int, width: int, out_dim: int) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.Conv2d(channels, width, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, True)]
        ch = width
        for _ in range(_halvings(resolution) - 1):
            layers += [
                nn.Conv2d(ch, ch * 2, 4, 2, 1, bias=False),
                nn.BatchNorm2d(ch * 2),
                nn.LeakyReLU(0.2, True),
            ]
            ch *= 2
        self.features = nn.Sequential(*layers)
        self.head = nn.Conv2d(ch, out_dim, 4, 1, 0, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x)).flatten(1)


class Generator(nn.Module):
    """Encoder -> decoder -> encoder: an image, its reconstruction and both latent codes.

    ``reencode=False`` drops the second encoder: the plain autoencoder of the baseline.
    """

    def __init__(self, resolution: int, channels: int, width: int, latent_dim: int, reencode: bool = True):
        super().__init__()
        self.encoder = Encoder(resolution, channels, width, latent_dim)
        self.decoder = Decoder(latent_dim, resolution, channels, width)
        self.reencoder = Encoder(resolution, channels, width, latent_dim) if reencode else None

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """``(reconstruction, z, z_hat)``; ``z_hat`` (the code of the reconstruction) or None."""
        z = self.encoder(x)
        fake = self.decoder(z)
        z_hat = self.reencoder(fake) if self.reencoder is not None else None
        return fake, z, z_hat


class Discriminator(nn.Module):
    """An encoder with one logit per image; ``features`` gives the map the feature-matching loss compares."""

    def __init__(self, resolution: int, channels: int, width: int) -> None:
        super().__init__()
        self.encoder = Encoder(resolution, channels, width, 1)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder.features(x)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(logits (N,), features (N, C, 4, 4))``."""
        feats = self.encoder.features(x)
        return self.encoder.head(feats).flatten(), feats
