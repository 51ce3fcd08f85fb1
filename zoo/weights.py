"""Weights in and out: safetensors only, loaded strictly, hashed on every load.

Weights are data, never code: a pickled checkpoint is refused here; it is to be converted once,
read with ``torch.load(weights_only=True)`` and written back with safetensors.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import torch
from safetensors import SafetensorError
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


def read_weights(path: str | Path, sha256: str | None = None) -> dict[str, torch.Tensor]:
    """Read a safetensors file, checking its sha256 first when one is given."""
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
    try:
        return load_file(str(path))
    except (SafetensorError, OSError) as exc:
        with open(path, "rb") as f:
            head = f.read(4)
        if head.startswith(_PICKLE_MAGIC):
            raise WeightsError(
                f"{path} is a pickled PyTorch checkpoint, not safetensors: zoo never unpickles weights. "
                "Convert it once: read it with torch.load(weights_only=True) and write it with "
                "safetensors.torch.save_file."
            ) from exc
        raise WeightsError(
            f"{path} is not a readable safetensors file (truncated or corrupted?): {exc}"
        ) from exc


def load_weights(model: nn.Module, path: str | Path, sha256: str | None = None) -> nn.Module:
    """Load a safetensors file into ``model`` strictly; a mismatch names every offending key."""
    state = read_weights(path, sha256)
    expected = model.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    misshaped = sorted(
        f"{k}: file {tuple(state[k].shape)} vs model {tuple(expected[k].shape)}"
        for k in set(state) & set(expected)
        if state[k].shape != expected[k].shape
    )
    if missing or unexpected or misshaped:
        parts = [
            f"{label} ({len(keys)}): {', '.join(keys[:10])}{' ...' if len(keys) > 10 else ''}"
            for label, keys in (("missing", missing), ("unexpected", unexpected), ("wrong shape", misshaped))
            if keys
        ]
        raise WeightsError(
            f"weights {path} do not fit {type(model).__name__} built from its config: "
            + "; ".join(parts)
            + ". Check that the config (width, resolution, ...) is the one the weights were trained with."
        )
    model.load_state_dict(state, strict=True)
    return model
