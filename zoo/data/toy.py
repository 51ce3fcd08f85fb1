"""2-D Gaussian mixtures for measuring mode collapse (VEEGAN, Srivastava et al. 2017; PacGAN).

``gaussians25``: means on the grid {-4, -2, 0, 2, 4}^2, std 0.05. ``gaussians8``: means on a circle
of radius 2, std 0.02 (VEEGAN's choice; PacGAN uses 0.01).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch.utils.data import Dataset

from zoo.errors import DataError


@dataclass(frozen=True)
class Mixture:
    """Equal-weight isotropic Gaussians: their means ``(K, 2)`` and common std."""

    means: tuple[tuple[float, float], ...]
    std: float

    def means_tensor(self) -> torch.Tensor:
        return torch.tensor(self.means, dtype=torch.float32)


MIXTURES: dict[str, Mixture] = {
    "gaussians25": Mixture(
        tuple((float(x), float(y)) for x in range(-4, 5, 2) for y in range(-4, 5, 2)), 0.05
    ),
    "gaussians8": Mixture(
        tuple((2 * math.cos(2 * math.pi * k / 8), 2 * math.sin(2 * math.pi * k / 8)) for k in range(8)), 0.02
    ),
}


class GaussianMixture(Dataset):
    """``size`` points drawn once from the mixture ``name`` (seeded by split): ``{"x": (2,), "y": mode}``."""

    def __init__(self, name: str, split: str = "train", size: int = 100_000) -> None:
        if name not in MIXTURES:
            raise DataError(f"unknown mixture {name!r}; choose one of {', '.join(MIXTURES)}")
        mixture = MIXTURES[name]
        gen = torch.Generator().manual_seed(0 if split == "train" else 1)
        means = mixture.means_tensor()
        self.labels = torch.randint(len(means), (size,), generator=gen)
        self.points = means[self.labels] + mixture.std * torch.randn(size, 2, generator=gen)

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return {"x": self.points[i], "y": self.labels[i]}
