"""Validation of a GANomaly model: raw scores of normal and anomalous images set its min-max constants and
threshold (``GANomaly.calibrate``), and give its validation AUROC.

During ``zoo train`` the plugin's hooks build the recipe's ``validation`` data before the first step (a
bad folder fails before anything is trained) and calibrate the model at every checkpoint, rewriting the
run's ``model.safetensors`` with the constants and ``eval.json`` with the AUROC.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import Dataset

from zoo.data import build_dataset
from zoo.errors import DataError
from zoo.io import atomic_path

log = logging.getLogger(__name__)


def validation_spec(spec: str | dict[str, Any], model: Any) -> str | dict[str, Any]:
    """A bare folder is an MVTec-style ``anomaly_folder`` (good/ + anomaly/) read at the model's size and
    channel count; other specs (``{name: mnist_oneclass, anomaly: 3}``) are used as they are."""
    if isinstance(spec, (str, Path)) and (Path(spec).is_dir() or "/" in str(spec)):
        spec = {"name": "anomaly_folder", "path": str(spec)}
    if isinstance(spec, dict) and spec.get("name") == "anomaly_folder":
        return {"size": model.resolution, "channels": model.channels, **spec}
    return spec


def validation_data(spec: str | dict[str, Any], model: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """All validation images ``(N, C, H, W)`` and their 0/1 anomaly labels; both kinds must be there."""
    dataset: Dataset = build_dataset(validation_spec(spec, model), split="validation")
    items = [dataset[i] for i in range(len(dataset))]
    if not items or "y" not in items[0]:
        raise DataError(f"validation data {spec!r} must give images with 0/1 anomaly labels ('y')")
    images = torch.stack([item["x"] for item in items])
    labels = torch.stack([torch.as_tensor(item["y"]) for item in items]).long()
    if set(labels.unique().tolist()) != {0, 1}:
        raise DataError(f"validation data {spec!r} needs both normal (0) and anomalous (1) images")
    model.check_data(images.shape[1:], f"the validation data {spec!r}")
    return images, labels


def validate(model: Any, images: torch.Tensor, labels: torch.Tensor) -> dict[str, float]:
    """Calibrate ``model`` on the validation images; returns AUROC, threshold, TPR/FPR at it, counts."""
    return model.calibrate(model.raw_scores(images), labels)


def write_eval(run_dir: Path, record: dict[str, Any]) -> Path:
    """``eval.json`` of the run, written atomically."""
    path = Path(run_dir) / "eval.json"
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(record, indent=2) + "\n")
    return path
