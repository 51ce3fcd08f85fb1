"""How much of the font classifier's misreading of MNIST digits is their slant?

Deskews 1,000 train-split MNIST digits by their second moments (a shear about the ink's centre that makes
the principal axis vertical, the classic MNIST preprocessing) and compares the bundled font classifier's
accuracy on them with that on the raw digits. It motivates CycleGAN's ``global_affine`` option.

    python benchmarks/mnist2font_deskew.py [--n 1000]
"""

from __future__ import annotations

import argparse

import torch
import torch.nn.functional as F

from zoo.data import build_dataset
from zoo.metrics.translation import digit_accuracy


def deskew(images: torch.Tensor) -> torch.Tensor:
    """``(N, 1, H, W)`` digits sheared so each one's ink has no x-y covariance, centred in the image."""
    _, _, h, w = images.shape
    ys, xs = torch.meshgrid(torch.arange(h).float(), torch.arange(w).float(), indexing="ij")
    ink = images[:, 0]
    mass = ink.sum((1, 2)).clamp_min(1e-6)
    cy, cx = ((ink * ys).sum((1, 2)) / mass), ((ink * xs).sum((1, 2)) / mass)
    dy, dx = ys - cy[:, None, None], xs - cx[:, None, None]
    shear = (ink * dx * dy).sum((1, 2)) / (ink * dy * dy).sum((1, 2)).clamp_min(1e-6)
    # output pixel (x, y) reads input (x + shear * (y - centre_y) + cx - centre_x, y + cy - centre_y)
    centre_y, centre_x = (h - 1) / 2, (w - 1) / 2
    src_x = xs + shear[:, None, None] * (ys - centre_y) + (cx - centre_x)[:, None, None]
    src_y = ys + (cy - centre_y)[:, None, None]
    grid = torch.stack([src_x / (w - 1) * 2 - 1, src_y / (h - 1) * 2 - 1], -1)
    return F.grid_sample(images, grid, align_corners=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=1000, help="train-split MNIST digits to read")
    args = parser.parse_args(argv)
    mnist = build_dataset("mnist", "train")
    x, y = mnist.images[: args.n], mnist.labels[: args.n]
    raw, upright = digit_accuracy(x, y, "fonts"), digit_accuracy(deskew(x), y, "fonts")
    print(f"font classifier on {len(y)} train-split MNIST digits: raw {raw:.3f}, deskewed {upright:.3f}")
    print(f"command: python benchmarks/mnist2font_deskew.py --n {args.n}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
