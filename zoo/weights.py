"""Weights in and out: safetensors only, loaded strictly, hashed on every load.

Weights are data, never code: a pickled checkpoint is refused here; it is to be converted once,
read with ``torch.load(weights_only=True)`` and written back with safetensors.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save_file
from torch import nn

from zoo.errors import WeightsError
from zoo.io import atomic_path

_PICKLE_MAGIC = (b"PK\x03\x04", b"\x80\x02", b"\x80\x03", b"\x80\x04", b"\x80\x05")


def sha256_of(path: str | Path) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def save_weights(model: nn.Module, path: str | Path, metadata: dict[str, str] | None = None) -> Path:
    """Write ``model.state_dict()`` to a safetensors file atomically."""
    state = {k: v.detach().contiguous().cpu() for k, v in model.state_dict().items()}
    with atomic_path(path) as tmp:
        save_file(state, str(tmp), metadata=metadata)
    return Path(path)


def verify_weights(path: str | Path, sha256: str | None = None) -> Path:
    """``path`` as a ``Path``, checked to exist and, when ``sha256`` is given, to have that hash."""
    path = Path(path)
    if not path.is_file():
        raise WeightsError(f"weights file {path} does not exist")
    if sha256 is not None:
        actual = sha256_of(path)
        if actual != sha256.lower():
            raise WeightsError(
                f"weights file {path} has sha256 {actual}, expected {sha256}: the file is corrupted or not "
                "the one the registry names. Delete it (or its Hugging Face cache entry) and download again."
            )
    return path


def _unreadable(path: Path, exc: Exception) -> WeightsError:
    """The error for a file safetensors cannot read: a pickled checkpoint is named as such."""
    with open(path, "rb") as f:
        head = f.read(4)
    if head.startswith(_PICKLE_MAGIC):
        return WeightsError(
            f"{path} is a pickled PyTorch checkpoint, not safetensors: zoo never unpickles weights. "
            "Convert it once: read it with torch.load(weights_only=True) and write it with "
            "safetensors.torch.save_file."
        )
    return WeightsError(f"{path} is not a readable safetensors file (truncated or corrupted?): {exc}")


def read_shapes(path: str | Path) -> dict[str, tuple[int, ...]]:
    """Every tensor's shape as the file's safetensors header states it, without reading any tensor."""
    path = Path(path)
    try:
        with safe_open(str(path), framework="pt") as f:
            return {key: tuple(f.get_slice(key).get_shape()) for key in f.keys()}
    except (SafetensorError, OSError) as exc:
        raise _unreadable(path, exc) from exc


def read_weights(path: str | Path, sha256: str | None = None) -> dict[str, torch.Tensor]:
    """Read a safetensors file, checking its sha256 first when one is given."""
    path = verify_weights(path, sha256)
    try:
        return load_file(str(path))
    except (SafetensorError, OSError) as exc:
        raise _unreadable(path, exc) from exc


def shapes_of(model: nn.Module) -> dict[str, tuple[int, ...]]:
    """The shape of every entry of ``model.state_dict()`` (works on a model built on the meta device)."""
    return {key: tuple(value.shape) for key, value in model.state_dict().items()}


def check_fit(
    expected: dict[str, tuple[int, ...]], found: dict[str, tuple[int, ...]], path: str | Path, what: str
) -> None:
    """Raise a ``WeightsError`` naming the offending keys unless the file's keys and shapes (``found``)
    are exactly the model's (``expected``); ``what`` names the model and its config in the message."""
    missing = sorted(set(expected) - set(found))
    unexpected = sorted(set(found) - set(expected))
    misshaped = sorted(
        f"{k}: file {found[k]} vs model {expected[k]}"
        for k in set(found) & set(expected)
        if found[k] != expected[k]
    )
    if missing or unexpected or misshaped:
        parts = [
            f"{label} ({len(keys)}): {', '.join(keys[:5])}{', ...' if len(keys) > 5 else ''}"
            for label, keys in (("missing", missing), ("unexpected", unexpected), ("wrong shape", misshaped))
            if keys
        ]
        raise WeightsError(
            f"the config and the weights do not fit: weights {path} do not fit {what}: "
            + "; ".join(parts)
            + ". Check that the config (width, resolution, ...) is the one the weights were trained with."
        )


def load_weights(model: nn.Module, path: str | Path, sha256: str | None = None) -> nn.Module:
    """Load a safetensors file into ``model`` strictly; a mismatch names every offending key.

    The file's header is checked against the model before any tensor is read.
    """
    path = verify_weights(path, sha256)
    check_fit(shapes_of(model), read_shapes(path), path, f"{type(model).__name__} built from its config")
    state = read_weights(path)
    model.load_state_dict(state, strict=True)
    return model
