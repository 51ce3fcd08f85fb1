"""Time to the first sample grid of ``zoo train dcgan --data FOLDER`` on a folder of your own.

A folder of ``--images`` random 64x64 RGB PNGs is written, then ``python -m zoo train dcgan --data
FOLDER`` runs with nothing else set (the variant's own recipe: the DCGAN paper's settings, the model's
channels and resolution from the images) until ``samples/latest.png`` appears in its run directory. The
figure is the wall time from starting the process to that file; the process is stopped then. The goal
is under 60 s on a CPU. The line the progress bar prints then (``first sample grid at step N, S s into
the run``, S counted from the trainer's set-up, without Python's and torch's start) is shown beside it.

Run: ``python benchmarks/first_grid.py [--images 200] [--limit 600]``.
"""

from __future__ import annotations

import argparse
import re
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image


def write_folder(folder: Path, n: int) -> None:
    """``n`` random 64x64 RGB images, smooth enough to compress like photos."""
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i in range(n):
        small = rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)
        Image.fromarray(small).resize((64, 64), Image.Resampling.BICUBIC).save(folder / f"{i:04d}.png")


def time_to_first_grid(
    command: list[str], grid: Path, limit: float, log: Path
) -> tuple[float | None, str | None]:
    """Seconds from starting ``command`` (stderr to ``log``) to ``grid`` existing (``None`` past ``limit``
    or on exit), and the progress bar's line about it."""
    start = time.perf_counter()
    with open(log, "w") as err:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=err, text=True)
    try:
        while time.perf_counter() - start < limit:
            if grid.exists():
                return time.perf_counter() - start, progress_line(log)
            if process.poll() is not None:
                sys.stderr.write(log.read_text()[-2000:])
                return None, None
            time.sleep(0.05)
        return None, None
    finally:
        process.kill()
        process.wait()


def progress_line(log: Path, wait: float = 5.0) -> str | None:
    """The progress bar's ``first sample grid ...`` line in ``log`` (written just after the grid)."""
    end = time.perf_counter() + wait
    while time.perf_counter() < end:
        match = re.search(r"first sample grid at step \d+, [\d.]+ s into the run", log.read_text())
        if match:
            return match.group(0)
        time.sleep(0.05)
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=200)
    parser.add_argument("--limit", type=float, default=600.0, help="give up after this many seconds")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder, out = Path(tmp) / "photos", Path(tmp) / "run"
        write_folder(folder, args.images)
        command = [sys.executable, "-m", "zoo", "train", "dcgan", "--data", str(folder), "--out", str(out)]
        log = Path(tmp) / "stderr.txt"
        seconds, line = time_to_first_grid(command, out / "samples" / "latest.png", args.limit, log)
    print(f"command: {shlex.join(['zoo', *command[3:]])}  ({args.images} images, 64x64 RGB)")
    if seconds is None:
        print(f"no sample grid within {args.limit:.0f} s")
        return 1
    print(f"time to the first sample grid: {seconds:.1f} s (goal: under 60 s)")
    print(f"the progress bar said: {line or 'nothing (no first-grid line)'}")
    return 0 if seconds < 60 else 1


if __name__ == "__main__":
    sys.exit(main())
