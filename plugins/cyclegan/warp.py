"""A spatial transformer in front of a generator (Jaderberg et al. 2015, arXiv:1506.02025), an option of
the CycleGAN model (``global_affine``): a small CNN reads the whole input and predicts one affine warp
of it, so a generator whose convolutions see only a patch can still straighten, slant or rescale the
whole image (a moment deskew alone lifts the font classifier's reading of MNIST digits from 47% to 82%:
``python benchmarks/mnist2font_deskew.py``)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

IDENTITY = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)


class AffineWarp(nn.Module):
    """``generator(warp(x))``; the warp starts as the identity (last layer zero, bias the identity)."""

    def __init__(self, generator: nn.Module, in_channels: int, width: int = 16) -> None:
        super().__init__()
        self.localization = nn.Sequential(
            nn.Conv2d(in_channels, width, 3, 2, 1),
            nn.ReLU(True),
            nn.Conv2d(width, width, 3, 2, 1),
            nn.ReLU(True),
            nn.AdaptiveAvgPool2d(4),
            nn.Flatten(),
            nn.Linear(width * 16, 32),
            nn.ReLU(True),
            nn.Linear(32, 6),
        )
        nn.init.zeros_(self.localization[-1].weight)
        with torch.no_grad():
            self.localization[-1].bias.copy_(torch.tensor(IDENTITY))
        self.generator = generator
        self.multiple = generator.multiple

    def warp(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` resampled by its predicted affine transform (edges repeated outside the image)."""
        theta = self.localization(x).view(-1, 2, 3)
        grid = F.affine_grid(theta, list(x.shape), align_corners=False)
        return F.grid_sample(x, grid.to(x.dtype), align_corners=False, padding_mode="border")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.generator(self.warp(x))
