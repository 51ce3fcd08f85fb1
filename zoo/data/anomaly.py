"""One-class anomaly-detection data: MNIST with one digit held out, and MVTec-style validation folders.

Items are ``{"x": (C, H, W) in [0, 1], "y": 1 for an anomaly, 0 for a normal sample}``.

``mnist_oneclass`` follows the GANomaly protocol (Akcay et al. 2018) on zoo's MNIST split: the digit
``anomaly`` is the anomaly, the other nine are normal. ``train``: normal digits of the train split
(minus the validation part); ``validation``: a seeded part of the train split, 80 digits of each class
(720 normal, 80 anomalous), for thresholds and min-max constants only; ``test``: the 1,000 test digits.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from zoo.data.folder import IMAGE_SUFFIXES, ImageFolder
from zoo.data.mnist import MNIST
from zoo.errors import DataError

SPLITS = ("train", "validation", "test")
VALIDATION_PER_CLASS = 80
VALIDATION_SEED = 1


class MNISTOneClass(Dataset):
    """MNIST digits with ``anomaly`` (0..9) as the anomalous class; see the module doc for the splits."""

    def __init__(self, split: str = "train", anomaly: int = 0, size: int = 32) -> None:
        if split not in SPLITS:
            raise DataError(f"mnist_oneclass split must be one of {SPLITS}, not {split!r}")
        if isinstance(anomaly, bool) or not isinstance(anomaly, int) or not 0 <= anomaly <= 9:
            raise DataError(
                f"mnist_oneclass needs 'anomaly': the digit (0..9) held out as anomalous, got {anomaly!r}"
            )
        digits = MNIST("test" if split == "test" else "train", size)
        keep = np.arange(len(digits.labels))
        if split != "test":
            held = self.validation_indices(digits.labels.numpy())
            keep = held if split == "validation" else np.setdiff1d(keep, held)
        if split == "train":
            keep = keep[digits.labels.numpy()[keep] != anomaly]
        self.images = digits.images[keep]
        self.digits = digits.labels[keep]
        self.labels = (self.digits == anomaly).long()

    @staticmethod
    def validation_indices(labels: np.ndarray) -> np.ndarray:
        """A seeded choice of ``VALIDATION_PER_CLASS`` train-split digits per class, for any anomaly."""
        rng = np.random.default_rng(VALIDATION_SEED)
        held = [
            rng.permutation(np.flatnonzero(labels == c))[:VALIDATION_PER_CLASS] for c in np.unique(labels)
        ]
        return np.sort(np.concatenate(held))

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return {"x": self.images[i], "y": self.labels[i]}


class AnomalyFolder(Dataset):
    """An MVTec-AD-style folder: ``good/`` (normal) and ``anomaly/`` (anomalous) images, subfolders allowed.

    Every image is resized to ``size`` when given (mixed sizes are an error otherwise) and read with
    ``channels`` 1 or 3. Missing or empty subfolders are errors naming the folder.
    """

    def __init__(self, path: str | Path, size: int | None = None, channels: int = 3) -> None:
        root = Path(path)
        if not root.is_dir():
            raise DataError(f"validation folder {root} does not exist or is not a folder")
        parts = []
        for name in ("good", "anomaly"):
            sub = root / name
            if not sub.is_dir():
                raise DataError(
                    f"validation folder {root} has no {name}/ subfolder: it needs good/ (normal images) and "
                    "anomaly/ (anomalous images), the MVTec AD layout"
                )
            if not any(p.suffix.lower() in IMAGE_SUFFIXES for p in sub.rglob("*")):
                raise DataError(
                    f"{sub} holds no images ({', '.join(IMAGE_SUFFIXES)}): put validation images there"
                )
            parts.append(ImageFolder(sub, size=size, channels=channels))
        self.good, self.anomalous = parts

    def __len__(self) -> int:
        return len(self.good) + len(self.anomalous)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        if i < len(self.good):
            return {**self.good[i], "y": torch.tensor(0)}
        return {**self.anomalous[i - len(self.good)], "y": torch.tensor(1)}
