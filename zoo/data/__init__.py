"""Datasets for training and evaluation, built from a spec: a name, a folder, or a dict.

Everything here is generated or comes from what PyPI packages ship: nothing is downloaded at run
time. Items are dicts ``{"x": tensor, "y": label}``; images are ``(C, H, W)`` floats in ``[0, 1]``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from torch.utils.data import Dataset

from zoo.data.anomaly import AnomalyFolder, MNISTOneClass
from zoo.data.captions import CaptionedFolder
from zoo.data.edges import EdgesToDigits
from zoo.data.folder import ImageFolder, image_files
from zoo.data.fonts import FontDigits, MnistToFont
from zoo.data.mnist import MNIST
from zoo.data.paired import PairedImages, UnpairedImages
from zoo.data.photos import SRCrops
from zoo.data.shapes import CaptionedShapes
from zoo.data.toy import MIXTURES, GaussianMixture
from zoo.errors import DataError
from zoo.images import image_size

__all__ = [
    "FOLDER_KINDS",
    "MIXTURES",
    "AnomalyFolder",
    "build_dataset",
    "folder_sample",
    "image_options",
    "CaptionedFolder",
    "CaptionedShapes",
    "EdgesToDigits",
    "FontDigits",
    "GaussianMixture",
    "ImageFolder",
    "MNIST",
    "MNISTOneClass",
    "MnistToFont",
    "PairedImages",
    "SRCrops",
    "UnpairedImages",
]

_BUILTIN = {
    "mnist": MNIST,
    "mnist_oneclass": MNISTOneClass,
    "fonts": FontDigits,
    "shapes": CaptionedShapes,
    "mnist2font": MnistToFont,
    "edges2digits": EdgesToDigits,
    "sr_crops": SRCrops,
    **{name: GaussianMixture for name in MIXTURES},
}


FOLDER_KINDS = ("folder", "anomaly_folder", "paired", "unpaired")


def folder_sample(spec: str | Path | dict[str, Any]) -> dict[str, Any] | None:
    """The first training item of a folder of your own (``{"name": folder | paired | ..., "path": DIR}``,
    what the trainer makes of ``--data DIR``), from which a model takes its shapes
    (``GANModel.config_from_data``); ``None`` for other data (MNIST, toy mixtures)."""
    if isinstance(spec, dict) and spec.get("name") in FOLDER_KINDS:
        return build_dataset(spec, split="train")[0]
    return None


def image_options(
    options: dict[str, Any], spec: str | Path | dict[str, Any], resolution: int
) -> dict[str, Any]:
    """``options`` completed from a folder's first image where unset: its ``channels``, and its side as
    ``resolution`` when square and a power of two, else ``resolution`` (the trainer resizes the folder, as
    it does a folder of mixed sizes)."""
    if isinstance(spec, dict) and spec.get("size") is None and _mixed_sizes(spec):
        spec = {**spec, "size": resolution}
    sample = folder_sample(spec)
    if sample is None:
        return options
    channels, height, width = sample["x"].shape
    side = height if height == width and height >= 8 and height & (height - 1) == 0 else resolution
    return {"channels": channels, "resolution": side, **options}


def _mixed_sizes(spec: dict[str, Any]) -> bool:
    """Whether the images of a ``folder`` or ``anomaly_folder`` spec differ in size (headers only)."""
    if spec.get("name") not in ("folder", "anomaly_folder") or not Path(spec.get("path", "")).is_dir():
        return False
    return len({image_size(file) for file in image_files(Path(spec["path"]))}) > 1


def build_dataset(spec: str | Path | dict[str, Any], split: str = "train") -> Dataset:
    """A dataset from ``"mnist"``, ``"gaussians25"``, a folder path, or ``{"name": ..., **options}``."""
    if isinstance(spec, dict):
        options = dict(spec)
        name = options.pop("name", None)
        if name is None:
            raise DataError(f"data spec {spec!r} has no 'name' (e.g. {{'name': 'mnist'}})")
    else:
        name, options = str(spec), {}
    if name == "folder":
        return ImageFolder(**options)
    if name == "captions":
        return CaptionedFolder(**options)
    if name == "anomaly_folder":
        return AnomalyFolder(**options)
    if name in ("paired", "unpaired"):
        return (PairedImages if name == "paired" else UnpairedImages)(split=split, **options)
    if name in MIXTURES:
        return GaussianMixture(name, split=split, **options)
    if name in _BUILTIN:
        return _BUILTIN[name](split=split, **options)
    if Path(name).is_dir():
        return ImageFolder(name, **options)
    raise DataError(
        f"unknown dataset {name!r}: use a built-in one ({', '.join(sorted(_BUILTIN))}) or a folder of images"
    )
