"""Sample grids written during training: ``samples/step_NNNNNNN.png`` and a copy as ``samples/latest.png``."""

from __future__ import annotations

import shutil
from pathlib import Path

import torch

from zoo.images import save_samples
from zoo.io import atomic_path

SAMPLE_SEED = 1234  # the same latents at every step, so grids show how one set of samples evolves


def write_grid(samples: torch.Tensor, folder: Path, step: int, nrow: int | None = None) -> Path:
    """Write ``samples`` (``(N, C, H, W)`` images in [0, 1] as a grid, ``nrow`` a row, or ``(N, 2)`` points
    as a scatter plot) as step ``step``'s PNG in ``folder``, and copy it to ``latest.png``."""
    path = save_samples(samples, folder / f"step_{step:07d}.png", nrow)
    with atomic_path(folder / "latest.png") as tmp:
        shutil.copyfile(path, tmp)
    return path
