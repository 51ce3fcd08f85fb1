"""Resumable checkpoints: written atomically with ``torch.save``, read back with ``weights_only=True``.

A checkpoint holds everything that decides the run's future: networks, averages, optimisers, the
loss scaler, every random generator (Python, NumPy when loaded, torch CPU and CUDA) and the data
position, so a resumed run on CPU repeats the uninterrupted one bit for bit.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path
from typing import Any

import torch

from zoo.errors import unreadable_torch_file
from zoo.io import atomic_path
from zoo.trainer.recipe import RecipeError

#: what ``Trainer.save`` writes and ``Trainer._restore`` reads
CHECKPOINT_KEYS = frozenset({"step", "position", "model", "ema", "optimizers", "scaler", "rng", "recipe"})


def seed_everything(seed: int) -> None:
    """Seed Python's, NumPy's (when loaded) and torch's generators."""
    random.seed(seed)
    if "numpy" in sys.modules:
        sys.modules["numpy"].random.seed(seed % 2**32)
    torch.manual_seed(seed)


def rng_state() -> dict[str, Any]:
    """This process's random generator states, as types ``torch.load(weights_only=True)`` accepts."""
    state: dict[str, Any] = {"python": random.getstate(), "torch": torch.get_rng_state()}
    if "numpy" in sys.modules:
        kind, keys, pos, has_gauss, gauss = sys.modules["numpy"].random.get_state()
        state["numpy"] = (kind, torch.from_numpy(keys.astype("int64")), pos, has_gauss, gauss)
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore what ``rng_state`` captured."""
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    torch.set_rng_state(state["torch"])
    if "numpy" in state:
        import numpy as np

        kind, keys, pos, has_gauss, gauss = state["numpy"]
        np.random.set_state((kind, keys.numpy().astype(np.uint32), pos, has_gauss, gauss))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def save_checkpoint(state: dict[str, Any], path: Path) -> Path:
    """Write ``state`` to ``path`` atomically: a crash leaves the previous checkpoint intact."""
    with atomic_path(path) as tmp:
        torch.save(state, tmp)
    return path


def load_checkpoint(path: Path) -> dict[str, Any]:
    """Read a checkpoint without unpickling code; a missing, unreadable or foreign one is a clear error
    naming the file, what it looks like and what to do."""
    if not path.is_file():
        raise RecipeError(
            f"cannot resume: there is no checkpoint at {path}. Start the run without --resume "
            "(resume=False), or point --out at the run directory that holds checkpoint.pt."
        )
    what_to_do = "delete it to start the run afresh, or point --out at another run directory"
    if path.stat().st_size == 0:
        raise RecipeError(f"cannot resume from {path}: it is empty (0 bytes); {what_to_do}")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except OSError:  # the file could not be read: its own message says why
        raise
    except Exception as exc:  # on content it cannot parse, torch.load raises EOFError, KeyError, ...
        raise RecipeError(f"cannot resume from {path}: {unreadable_torch_file(exc)}; {what_to_do}") from exc
    missing = CHECKPOINT_KEYS - set(state) if isinstance(state, dict) else CHECKPOINT_KEYS
    if missing or not isinstance(state["recipe"], dict):
        raise RecipeError(
            f"cannot resume from {path}: it is not a gan-zoo training checkpoint (it lacks "
            f"{', '.join(sorted(missing or {'recipe'}))}); {what_to_do}"
        )
    return state
