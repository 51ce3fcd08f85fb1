"""One writer per run directory: a lock held from the trainer's start to its end.

Two ``zoo train`` into one ``--out`` would interleave ``metrics.jsonl`` and overwrite each other's
checkpoints; the second one is refused at once instead. The lock is an ``flock`` on ``.lock`` (through
``filelock``), which the kernel drops when its process dies, so a killed run leaves no stuck lock.
Under ``torchrun`` rank 0 writes the directory, so rank 0 holds the lock and every rank learns the outcome.
Holding it, the trainer clears what a killed writer left: unfinished checkpoint sets, temporary files.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import time
from pathlib import Path

from filelock import FileLock, Timeout

from zoo.artifacts import LOCK, LOCK_HOLDER, SAMPLES, model_files
from zoo.io import atomic_path, remove_stale_temps
from zoo.trainer.checkpoint import recover_checkpoints
from zoo.trainer.distributed import World
from zoo.trainer.recipe import RecipeError

log = logging.getLogger(__name__)


class RunLock:
    """The right to write ``run_dir``, taken on construction (a ``RecipeError`` on every rank when another
    process holds it) and given back by ``release``."""

    def __init__(self, run_dir: Path, world: World) -> None:
        self.run_dir = run_dir
        self.created = world.is_main and not run_dir.exists()
        self._lock: FileLock | None = None
        refusal = self._acquire() if world.is_main else None
        refusal = world.gather(refusal)[0]
        if refusal is not None:
            raise RecipeError(refusal)

    def _acquire(self) -> str | None:
        """Take the lock and tidy the directory; why not, when it cannot be taken."""
        try:
            self.run_dir.mkdir(parents=True, exist_ok=True)
            lock = FileLock(self.run_dir / LOCK, timeout=0)
            lock.acquire()
        except Timeout:
            return (
                f"{self.run_dir} is being written by another training run ({self._holder()}): wait for it to "
                "end or stop it, then continue it with --resume (resume=True); or choose another --out"
            )
        except OSError as exc:
            return f"cannot write the run directory {self.run_dir}: {exc}"
        self._lock = lock
        with atomic_path(self.run_dir / LOCK_HOLDER) as tmp:
            started = time.strftime("%Y-%m-%d %H:%M:%S")
            tmp.write_text(f"pid {os.getpid()} on {socket.gethostname()}, since {started}\n")
        recover_checkpoints(self.run_dir)
        for folder in (self.run_dir, self.run_dir / SAMPLES, model_files(self.run_dir)):
            for path in remove_stale_temps(folder):
                log.info("removed %s, left by a run that was killed", path)
        return None

    def _holder(self) -> str:
        try:
            return (self.run_dir / LOCK_HOLDER).read_text().strip()
        except OSError:
            return "its process is not recorded"

    def release(self, discard: bool = False) -> None:
        """Let the next writer in; ``discard``: remove the directory too if this run created it (a run that
        fails before its first step leaves nothing behind)."""
        if self._lock is None:
            return
        if discard and self.created:
            shutil.rmtree(self.run_dir, ignore_errors=True)
        else:
            (self.run_dir / LOCK_HOLDER).unlink(missing_ok=True)  # before the lock: it may be the next one's
        self._lock.release()
        self._lock = None
