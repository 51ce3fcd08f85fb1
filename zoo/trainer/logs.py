"""Where training reports go: ``metrics.jsonl``, TensorBoard (when installed) and the progress bar."""

from __future__ import annotations

import importlib.util
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from zoo.io import atomic_path

log = logging.getLogger(__name__)

#: progress-bar labels of the values training steps commonly return
_LABELS = {"d_real": "D(x)", "d_fake": "D(G(z))"}


class MetricsLog:
    """``metrics.jsonl``: one JSON object per logged step, appended line by line."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def truncate(self, step: int) -> None:
        """Drop records after ``step`` (and a half-written last line): what a resumed run will redo."""
        if not self.path.exists():
            return
        kept = []
        for line in self.path.read_text().splitlines():
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if record.get("step", 0) <= step:
                kept.append(line)
        with atomic_path(self.path) as tmp:
            tmp.write_text("".join(f"{line}\n" for line in kept))

    def append(self, record: dict[str, Any]) -> None:
        with open(self.path, "a") as f:
            f.write(json.dumps(record) + "\n")


class TensorBoard:
    """Scalars to TensorBoard event files when ``tensorboard`` is installed; nothing otherwise."""

    def __init__(self, folder: Path, start_step: int) -> None:
        self.writer = None
        if importlib.util.find_spec("tensorboard") is None:
            log.info("tensorboard is not installed: no event files (pip install tensorboard)")
            return
        from torch.utils.tensorboard import SummaryWriter

        # purge_step drops events a killed run wrote after its last checkpoint.
        self.writer = SummaryWriter(str(folder), purge_step=start_step + 1 if start_step else None)

    def scalars(self, step: int, values: dict[str, float]) -> None:
        if self.writer is not None:
            for key, value in values.items():
                self.writer.add_scalar(key, value, step)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def quiet() -> bool:
    """Whether the ``zoo`` logger is set to hide INFO (``zoo -q`` sets it to WARNING; from Python,
    ``logging.getLogger("zoo").setLevel(logging.WARNING)``): progress bars and notes hide too."""
    return logging.getLogger("zoo").level > logging.INFO


class Progress:
    """A tqdm bar over optimisation steps: losses, D(x), D(G(z)) and img/s; tqdm adds the ETA. It shows, and
    prints its notes, on the main process unless the ``zoo`` logger is quiet (``quiet()``)."""

    def __init__(self, total: int, start: int, enabled: bool, since: float | None = None) -> None:
        self.enabled = enabled and not quiet()
        self.bar = tqdm(total=total, initial=start, disable=not self.enabled, unit="step", dynamic_ncols=True)
        self.since = time.perf_counter() if since is None else since  # when the run began (perf_counter)
        self.first_grid: Path | None = None

    def advance(self) -> None:
        self.bar.update(1)

    def grid_written(self, path: Path, step: int) -> None:
        """Once per run: the step at which the first sample grid was written, the seconds since the run
        began (``since``: set-up included) and the file: the time to a first look at what the model makes."""
        if self.first_grid is not None:
            return
        self.first_grid = path
        if self.enabled:
            seconds = time.perf_counter() - self.since
            self.bar.write(
                f"first sample grid at step {step}, {seconds:.1f} s into the run: {path}", file=sys.stderr
            )

    def show(self, values: dict[str, float]) -> None:
        self.bar.set_postfix(
            {_LABELS.get(k, k): _fmt(v) for k, v in values.items() if k != "step"}, refresh=False
        )

    def close(self) -> None:
        self.bar.close()


def _fmt(value: float) -> str:
    return f"{value:.0f}" if abs(value) >= 100 else f"{value:.3f}"
