"""``edges2digits``: pairs of (edge map, digit) from zoo's MNIST split, for paired translation (pix2pix).

The edge maps come from a Canny-like detector written in torch (scikit-image is not a dependency):
Gaussian blur, Sobel gradients, non-maximum suppression across the gradient direction, then double
thresholding with hysteresis. Test-split edges are made from test-split digits, never trained on.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch.utils.data import Dataset

from zoo.data.mnist import MNIST

_SOBEL_X = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])


def _blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable Gaussian blur of ``(N, 1, H, W)`` images (kernel radius 2 sigma, zero padding)."""
    radius = max(1, math.ceil(2 * sigma))
    t = torch.arange(-radius, radius + 1, dtype=x.dtype)
    k = torch.exp(-(t**2) / (2 * sigma**2))
    k = k / k.sum()
    x = F.conv2d(x, k.view(1, 1, 1, -1), padding=(0, radius))
    return F.conv2d(x, k.view(1, 1, -1, 1), padding=(radius, 0))


def _non_max_suppression(mag: torch.Tensor, gx: torch.Tensor, gy: torch.Tensor) -> torch.Tensor:
    """Keep pixels whose magnitude is a maximum along the gradient direction (rounded to 45 degrees)."""
    angle = torch.rad2deg(torch.atan2(gy, gx)) % 180
    sector = ((angle + 22.5) // 45).long() % 4  # 0: horizontal, 1: 45, 2: vertical, 3: 135 degrees
    padded = F.pad(mag, (1, 1, 1, 1))
    h, w = mag.shape[-2:]

    def shifted(dy: int, dx: int) -> torch.Tensor:
        return padded[..., 1 + dy : 1 + dy + h, 1 + dx : 1 + dx + w]

    offsets = [((0, 1), (0, -1)), ((1, 1), (-1, -1)), ((1, 0), (-1, 0)), ((1, -1), (-1, 1))]
    keep = torch.zeros_like(mag, dtype=torch.bool)
    for s, (a, b) in enumerate(offsets):
        peak = (mag >= shifted(*a)) & (mag >= shifted(*b))
        keep |= (sector == s) & peak
    return mag * keep


def canny(images: torch.Tensor, sigma: float = 1.0, low: float = 0.1, high: float = 0.2) -> torch.Tensor:
    """Binary edge maps ``(N, 1, H, W)`` in {0, 1} of images ``(N, 1, H, W)`` in [0, 1].

    ``low`` and ``high`` are the hysteresis thresholds on the gradient magnitude, relative to each
    image's largest magnitude: strong edges (>= high) are kept with the weak ones (>= low) they touch.
    """
    if images.dim() != 4 or images.shape[1] != 1:
        raise ValueError(f"canny takes (N, 1, H, W) grey images, got shape {tuple(images.shape)}")
    x = _blur(images.float(), sigma)
    gx = F.conv2d(x, _SOBEL_X.view(1, 1, 3, 3), padding=1)
    gy = F.conv2d(x, _SOBEL_X.t().reshape(1, 1, 3, 3), padding=1)
    mag = _non_max_suppression(torch.hypot(gx, gy), gx, gy)
    mag = mag / mag.amax(dim=(1, 2, 3), keepdim=True).clamp_min(1e-8)
    weak, edges = mag >= low, mag >= high
    while True:  # hysteresis: grow strong edges into the weak pixels they touch (8-neighbourhood)
        grown = (F.max_pool2d(edges.float(), 3, 1, 1) > 0) & weak
        if torch.equal(grown, edges):
            return edges.float()
        edges = grown


class EdgesToDigits(Dataset):
    """``{"A": edges (1, size, size), "B": digit (1, size, size), "y": label}``, all in [0, 1]."""

    def __init__(self, split: str = "train", size: int = 32) -> None:
        digits = MNIST(split, size)
        self.digits, self.labels = digits.images, digits.labels
        self.edges = canny(self.digits)

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return {"A": self.edges[i], "B": self.digits[i], "y": self.labels[i]}
