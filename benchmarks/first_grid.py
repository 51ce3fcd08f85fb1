"""Time to the first sample grid of ``zoo train dcgan --data FOLDER`` on a folder of your own.

A folder of ``--images`` random 64x64 RGB PNGs is written, then ``python -m zoo train dcgan --data
FOLDER`` runs with nothing else set (the variant's own recipe: the DCGAN paper's settings, the model's
channels and resolution from the images) until ``samples/latest.png`` appears in its run directory. The
figure is the wall time from starting the process to that file; the process is stopped then. The goal
is under 60 s on a CPU.

Run: ``python benchmarks/first_grid.py [--images 200] [--limit 600]``.
"""

from __future__ import annotations

import argparse
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


def time_to_first_grid(command: list[str], grid: Path, limit: float) -> float | None:
    """Seconds from starting ``command`` to ``grid`` existing (``None`` past ``limit`` or on exit)."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        while time.perf_counter() - start < limit:
            if grid.exists():
                return time.perf_counter() - start
            if process.poll() is not None:
                sys.stderr.write(process.stderr.read()[-2000:])
                return None
            time.sleep(0.05)
        return None
    finally:
        process.kill()
        process.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=200)
    parser.add_argument("--limit", type=float, default=600.0, help="give up after this many seconds")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder, out = Path(tmp) / "photos", Path(tmp) / "run"
        write_folder(folder, args.images)
        command = [sys.executable, "-m", "zoo", "train", "dcgan", "--data", str(folder), "--out", str(out)]
        seconds = time_to_first_grid(command, out / "samples" / "latest.png", args.limit)
    print(f"command: {shlex.join(['zoo', *command[3:]])}  ({args.images} images, 64x64 RGB)")
    if seconds is None:
        print(f"no sample grid within {args.limit:.0f} s")
        return 1
    print(f"time to the first sample grid: {seconds:.1f} s (goal: under 60 s)")
    return 0 if seconds < 60 else 1


if __name__ == "__main__":
    sys.exit(main())
