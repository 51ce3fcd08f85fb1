"""Wall time of commands whose output path cannot be written: they fail before any work (no torch import).

Each command runs ``--repeat`` times in a fresh process (``python -m zoo ...``); the figure is the fastest
run, beside ``zoo --version`` (the floor: Python's start and the CLI's parser). The goal is under 1 s.

Run: ``python benchmarks/cli_checks.py [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def fastest(args: list[str], repeat: int) -> tuple[float, int]:
    """The fastest wall time of ``python -m zoo ARGS`` over ``repeat`` runs, and its exit status."""
    times, status = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        status = subprocess.run([sys.executable, "-m", "zoo", *args], capture_output=True).returncode
        times.append(time.perf_counter() - start)
    return min(times), status


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        a_file = Path(tmp) / "notes.txt"
        a_file.write_text("not a folder")
        commands = [
            ["--version"],
            ["train", "dcgan", "--data", "mnist", "--out", "/proc/x"],
            ["train", "dcgan", "--data", "mnist", "--out", str(a_file)],
            ["run", "dcgan", "--out", "/proc/x.png"],
            ["run", "dcgan", "--out", tmp],
            ["evaluate", "dcgan", "--json", "/proc/x.json"],
        ]
        worst = 0.0
        for command in commands:
            seconds, status = fastest(command, args.repeat)
            worst = max(worst, seconds) if command != ["--version"] else worst
            print(f"{seconds:6.2f} s  exit {status}  {shlex.join(['zoo', *command])}")
    print(f"slowest bad --out: {worst:.2f} s (goal: under 1 s)")
    return 0 if worst < 1 else 1


if __name__ == "__main__":
    sys.exit(main())
