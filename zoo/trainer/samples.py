"""Sample grids written during training: images as a grid, 2-D points as a scatter plot."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import torch
from PIL import Image, ImageDraw

from zoo.io import atomic_path

SAMPLE_SEED = 1234  # the same latents at every step, so grids show how one set of samples evolves


def save_samples(samples: torch.Tensor, path: Path, nrow: int | None = None) -> Path:
    """Write ``samples`` (``(N, C, H, W)`` images in [0, 1] or ``(N, 2)`` points) to a PNG atomically;
    ``nrow`` images a row (a square grid by default)."""
    from torchvision.utils import make_grid, save_image  # torchvision takes seconds to import: only on use

    samples = samples.detach().float().cpu()
    with atomic_path(path) as tmp:
        if samples.dim() == 4:
            save_image(
                make_grid(samples, nrow=nrow or math.ceil(math.sqrt(len(samples))), padding=2),
                tmp,
                format="png",
            )
        elif samples.dim() == 2 and samples.shape[1] == 2:
            scatter(samples).save(tmp, format="png")
        else:
            raise ValueError(
                f"cannot draw samples of shape {tuple(samples.shape)}: expected (N, C, H, W) or (N, 2)"
            )
    return path


def scatter(points: torch.Tensor, size: int = 400, margin: float = 0.05) -> Image.Image:
    """A white canvas with one dot per point, framed to the points' extent."""
    lo, hi = points.min(0).values, points.max(0).values
    span = (hi - lo).max().clamp_min(1e-6) * (1 + 2 * margin)
    center = (lo + hi) / 2
    pixels = ((points - center) / span + 0.5) * (size - 1)
    image = Image.new("RGB", (size, size), "white")
    draw = ImageDraw.Draw(image)
    for x, y in pixels.tolist():
        draw.ellipse((x - 1.5, size - 1 - y - 1.5, x + 1.5, size - 1 - y + 1.5), fill=(30, 90, 200))
    return image


def write_grid(samples: torch.Tensor, folder: Path, step: int, nrow: int | None = None) -> Path:
    """``samples/step_NNNNNNN.png`` and a copy as ``samples/latest.png``."""
    path = save_samples(samples, folder / f"step_{step:07d}.png", nrow)
    with atomic_path(folder / "latest.png") as tmp:
        shutil.copyfile(path, tmp)
    return path
