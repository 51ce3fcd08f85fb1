"""Small random affine jitter of digit images, shared by the font digits and the classifiers' training."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def jitter(
    x: torch.Tensor,
    gen: torch.Generator | None = None,
    degrees: float = 10.0,
    scale: float = 0.1,
    shift: float = 2.0,
) -> torch.Tensor:
    """Random rotation (±``degrees``), scale (±``scale``) and shift (±``shift`` px) of ``(N, C, H, W)``,
    drawn from ``gen`` (a CPU generator; None: torch's global one); differentiable in ``x``."""
    n, size = x.shape[0], x.shape[-1]
    angle = (torch.rand(n, generator=gen) * 2 - 1) * math.radians(degrees)
    factor = 1 + (torch.rand(n, generator=gen) * 2 - 1) * scale
    offset = (torch.rand(n, 2, generator=gen) * 2 - 1) * (2 * shift / size)  # in [-1, 1] grid units
    cos, sin = torch.cos(angle) / factor, torch.sin(angle) / factor
    theta = torch.stack(
        [torch.stack([cos, -sin, offset[:, 0]], 1), torch.stack([sin, cos, offset[:, 1]], 1)], 1
    )
    grid = F.affine_grid(theta.to(x), list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, align_corners=False, padding_mode="zeros")
