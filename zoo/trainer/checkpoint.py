"""Resumable checkpoints: written atomically with ``torch.save``, read back with ``weights_only=True``.

A checkpoint holds everything that decides the run's future: networks, averages, optimisers, the
loss scaler, every random generator (Python, NumPy when loaded, torch CPU and CUDA) and the data
position, so a resumed run on CPU repeats the uninterrupted one bit for bit.

``commit_checkpoint`` writes it together with the inference files as one checkpoint set, made current by
one rename (``zoo.artifacts``), so ``zoo.load(run)`` and ``--resume`` always agree on the step, whenever
the writer is killed; ``recover_checkpoints`` clears what a killed writer left.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from zoo.artifacts import CHECKPOINT, CHECKPOINT_FILES, CHECKPOINT_SET, CONFIG, CURRENT
from zoo.errors import unreadable_torch_file
from zoo.io import atomic_path, fsync_directory, replace_symlink
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


def commit_checkpoint(run_dir: Path, step: int, write: Callable[[Path], None]) -> None:
    """Write one checkpoint set: ``write(folder)`` fills a new ``ckpt-<step>`` folder, then one rename of
    the link ``current`` makes it the run's checkpoint (a kill before leaves the previous set whole).

    The top-level names link through ``current``. The set this one replaces stays until the next commit,
    so a reader that resolved it (``zoo.artifacts.model_files``) can finish; older sets are removed.
    """
    previous = _current(run_dir)
    name = f"{CHECKPOINT_SET}{step:08d}"
    if name == previous:  # the same step written again: the current set stays whole until the swap
        name += "-b"
    folder = run_dir / name
    shutil.rmtree(folder, ignore_errors=True)  # an older set of the same step, never the current one
    folder.mkdir()
    try:
        write(folder)
        fsync_directory(folder)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    replace_symlink(run_dir / CURRENT, name)
    for file in CHECKPOINT_FILES:  # after the swap: before the first one they would point nowhere
        link = run_dir / file
        if not link.is_symlink() or os.readlink(link) != f"{CURRENT}/{file}":
            replace_symlink(link, f"{CURRENT}/{file}")
    _remove_sets(run_dir, keep={name, previous})


def recover_checkpoints(run_dir: Path) -> None:
    """After a kill: remove the checkpoint sets that are not current (unfinished or replaced), and move a
    checkpoint written before checkpoint sets (plain files at the top) into one, so its files change
    together from then on."""
    checkpoint = run_dir / CHECKPOINT
    if _current(run_dir) is None and checkpoint.is_file() and not checkpoint.is_symlink():
        commit_checkpoint(run_dir, _steps(run_dir), lambda folder: _copy_plain_files(run_dir, folder))
    _remove_sets(run_dir, keep={_current(run_dir)})


def _current(run_dir: Path) -> str | None:
    """The name of the run's current checkpoint set, if it has one."""
    link = run_dir / CURRENT
    return os.readlink(link) if link.is_symlink() else None


def _copy_plain_files(run_dir: Path, folder: Path) -> None:
    for file in CHECKPOINT_FILES:
        if (run_dir / file).is_file():
            with atomic_path(folder / file) as tmp:
                shutil.copyfile(run_dir / file, tmp)


def _steps(run_dir: Path) -> int:
    """The steps done according to a plain ``config.json`` (0 when it has none): only names a set."""
    try:
        return int(json.loads((run_dir / CONFIG).read_text()).get("steps", 0))
    except (OSError, ValueError, TypeError, AttributeError):
        return 0


def _remove_sets(run_dir: Path, keep: set[str | None]) -> None:
    for folder in run_dir.glob(f"{CHECKPOINT_SET}*"):
        if folder.name not in keep and folder.is_dir() and not folder.is_symlink():
            shutil.rmtree(folder, ignore_errors=True)
