"""The run/artifact format: what a model directory holds, how its files are named, read and written.

A model directory is what ``zoo train --out DIR``, ``zoo convert`` and a published Hub repo have in
common: ``model.safetensors`` (the inference weights) next to ``config.json`` (the variant, the plugin
and the model's keyword arguments, plus how the weights were made). A training run adds its resume
state, logs and samples. Every module that reads or writes these files takes the names from here.

A run writes each checkpoint (``checkpoint.pt``, ``model.safetensors``, ``config.json``) as one unit: into
a fresh ``ckpt-<step>`` folder, made the run's checkpoint by one rename of the link ``current``; the
top-level names are links through ``current``, so they always show one checkpoint. Run directories
written before checkpoint sets (plain files at the top) read the same.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from zoo.errors import RegistryError
from zoo.io import atomic_path

WEIGHTS = "model.safetensors"
CONFIG = "config.json"
CHECKPOINT = "checkpoint.pt"
METRICS = "metrics.jsonl"
EVALUATION = "eval.json"
SAMPLES = "samples"
LATEST_SAMPLES = f"{SAMPLES}/latest.png"
#: the files of one checkpoint, written together into a ``CHECKPOINT_SET`` folder
CHECKPOINT_FILES = (CHECKPOINT, WEIGHTS, CONFIG)
CHECKPOINT_SET = "ckpt-"
CURRENT = "current"
#: held (flock) by the process writing the run; the holder's pid and host are in ``LOCK_HOLDER``
LOCK = ".lock"
LOCK_HOLDER = ".lock.holder"


def is_model_dir(path: str | Path) -> bool:
    """Whether ``path`` is a directory that holds a ``config.json`` (a run, a conversion, a Hub snapshot)."""
    return (Path(path) / CONFIG).is_file()


def model_files(path: str | Path) -> Path:
    """The folder whose ``config.json`` and ``model.safetensors`` belong together: a run's current
    checkpoint set, resolved once (a checkpoint written meanwhile cannot mix two steps), or ``path``."""
    current = Path(path) / CURRENT
    return current.resolve() if current.is_symlink() else Path(path)


def read_run_config(path: str | Path, where: str) -> dict[str, Any]:
    """A ``config.json`` (``{"variant", "plugin", "config": {model kwargs}, ...}``), checked.

    ``path`` is the file itself; ``where`` names the directory or Hub repo in error messages.
    """
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise RegistryError(
            f"{where}: cannot read {CONFIG} ({exc}); a run written by `zoo train` has one"
        ) from exc
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("variant"), str)
        or not isinstance(data.get("config"), dict)
    ):
        raise RegistryError(
            f"{where}: {CONFIG} must hold 'variant' (a string) and 'config' (the model's keyword arguments)"
        )
    return data


def write_run_config(directory: str | Path, record: dict[str, Any]) -> Path:
    """Write ``record`` as the directory's ``config.json``, atomically; returns its path."""
    path = Path(directory) / CONFIG
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(record, indent=2) + "\n")
    return path


def read_evaluation(directory: str | Path) -> dict[str, Any] | None:
    """The run's ``eval.json`` (the last periodic evaluation), or ``None`` when it has none."""
    path = Path(directory) / EVALUATION
    return json.loads(path.read_text()) if path.is_file() else None
