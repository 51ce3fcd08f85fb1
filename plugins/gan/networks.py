"""The networks of the vanilla GAN: multilayer perceptrons, as in Goodfellow et al. 2014.

The seed configuration is a generator 100 -> 128 -> 784 (a 28x28 image) and a discriminator
784 -> 128 -> 1. ``hidden`` widens or deepens both; ``output="linear"`` drops the tanh for data
that is not an image, such as the 2-D Gaussian mixtures; ``batch_norm=True`` puts batch norm after
each hidden layer of the generator, as PacGAN's toy generator has. ``pack=m`` makes the discriminator judge
m samples at once (PacGAN, Lin et al. 2018), which penalises mode collapse; 1 is the plain GAN.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from zoo.config_checks import Size
from zoo.model import UnconditionalGAN


def mlp(sizes: list[int], activation: type[nn.Module], batch_norm: bool = False) -> nn.Sequential:
    """Linear layers of the given sizes with (batch norm and) ``activation`` between them."""
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=False)):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers += [nn.BatchNorm1d(b), activation()] if batch_norm else [activation()]
    return nn.Sequential(*layers)


class Generator(nn.Module):
    """Noise ``(N, latent_dim)`` to samples of ``out_shape`` (tanh output for images)."""

    def __init__(
        self, latent_dim: int, hidden: list[int], out_shape: list[int], output: str, batch_norm: bool = False
    ) -> None:
        super().__init__()
        self.out_shape = tuple(out_shape)
        self.net = mlp([latent_dim, *hidden, math.prod(out_shape)], nn.ReLU, batch_norm)
        self.out = nn.Tanh() if output == "tanh" else nn.Identity()

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.out(self.net(z)).view(-1, *self.out_shape)


class Discriminator(nn.Module):
    """Groups of ``pack`` samples to one real/fake logit each (one logit per sample when ``pack=1``)."""

    def __init__(self, hidden: list[int], in_shape: list[int], pack: int = 1) -> None:
        super().__init__()
        self.pack = pack
        self.net = mlp([pack * math.prod(in_shape), *hidden, 1], lambda: nn.LeakyReLU(0.2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[0] % self.pack:
            raise ValueError(f"batch of {x.shape[0]} samples does not split into packs of {self.pack}")
        return self.net(x.reshape(x.shape[0] // self.pack, -1)).squeeze(1)


class VanillaGAN(UnconditionalGAN):
    """The seed's MLP GAN; ``out_shape=[2]`` with ``output="linear"`` for 2-D toy mixtures."""

    config_constraints = {"latent_dim": Size(), "hidden": Size(), "out_shape": Size(), "pack": Size()}

    @classmethod
    def config_from_data(cls, options: dict[str, Any], data: str | dict[str, Any]) -> dict[str, Any]:
        """``out_shape`` from a folder's first image, where the options leave it unset."""
        from zoo.data import folder_sample

        sample = folder_sample(data)
        return options if sample is None else {"out_shape": list(sample["x"].shape), **options}

    def __init__(
        self,
        latent_dim: int = 100,
        hidden: list[int] | None = None,
        out_shape: list[int] | None = None,
        output: str = "tanh",
        pack: int = 1,
        batch_norm: bool = False,
    ) -> None:
        hidden = list(hidden or [128])
        out_shape = list(out_shape or [1, 28, 28])
        if output not in ("tanh", "linear"):
            raise ValueError(f"output must be 'tanh' (images) or 'linear' (points), not {output!r}")
        super().__init__()
        self.latent_dim = latent_dim
        self.generator = Generator(latent_dim, hidden, out_shape, output, batch_norm)
        self.discriminator = Discriminator(hidden, out_shape, pack)

    def normalize(self, x: torch.Tensor) -> torch.Tensor:
        return super().normalize(x) if self.config["output"] == "tanh" else x

    def denormalize(self, y: torch.Tensor) -> torch.Tensor:
        return super().denormalize(y) if self.config["output"] == "tanh" else y.float()
