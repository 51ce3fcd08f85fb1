"""Time ``mkdocs build --strict`` of the documentation site (goal: under 60 s, no warnings), and optionally
the 200-step recipe run that ``docs/gallery.py --curves`` draws.

    python benchmarks/docs_build.py [--repeats 3] [--curves]

Needs the ``docs`` extra (``pip install -e '.[docs]'``). Each build runs in a new process into a temporary
folder; the script prints every wall time, the median, the number of WARNING lines and the command.
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL_S = 60.0


def timed(command: list[str]) -> tuple[float, str]:
    """Wall seconds of ``command`` run from the repository root, and its output (stdout and stderr)."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{shlex.join(command)} failed:\n{done.stdout}{done.stderr}")
    return seconds, done.stdout + done.stderr


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--curves", action="store_true", help="also time `docs/gallery.py --curves`")
    args = parser.parse_args(argv)
    times, warnings = [], 0
    with tempfile.TemporaryDirectory() as tmp:
        build = [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", tmp]
        for _ in range(args.repeats):
            seconds, output = timed(build)
            times.append(seconds)
            warnings += output.count("WARNING")
    median = statistics.median(times)
    print(f"mkdocs build --strict: {', '.join(f'{t:.1f}' for t in times)} s (median {median:.1f} s, "
          f"goal under {GOAL_S:.0f} s), {warnings} warnings")  # fmt: skip
    if args.curves:
        with tempfile.TemporaryDirectory() as tmp:
            seconds, _ = timed([sys.executable, "docs/gallery.py", "--curves", "gan-mnist", "--out-dir", tmp])
        print(f"docs/gallery.py --curves gan-mnist (its samples + a 200-step gan-mnist run): {seconds:.1f} s")
    print(f"command: python benchmarks/docs_build.py {shlex.join(argv or sys.argv[1:])}".strip())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
