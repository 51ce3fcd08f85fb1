"""``zoo list`` cold in a new process versus ``python -c "import timm; timm.list_models()"``.

Each command runs ``--repeats`` times in a fresh process (after one untimed warm-up that fills the
disk cache), interleaved so machine load hits both alike; prints the medians, their ratio and the
commands. Target: ``zoo list`` at most 0.3 s. Run: ``python benchmarks/list_speed.py``.
"""

from __future__ import annotations

import argparse
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path

TARGET_S = 0.3


def zoo_list_command() -> list[str]:
    """The installed ``zoo`` console script (what users run), else ``python -m zoo``."""
    script = Path(sys.executable).parent / "zoo"
    return [str(script), "list"] if script.exists() else [sys.executable, "-m", "zoo", "list"]


def seconds(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    commands = {
        "zoo list": zoo_list_command(),
        "timm.list_models()": [sys.executable, "-c", "import timm; timm.list_models()"],
        "python startup": [sys.executable, "-c", "pass"],
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    for cmd in commands.values():
        seconds(cmd)  # warm-up
    for _ in range(args.repeats):
        for name, cmd in commands.items():
            times[name].append(seconds(cmd))
    median = {name: statistics.median(t) for name, t in times.items()}
    for name, cmd in commands.items():
        spread = f"min {min(times[name]):.3f} max {max(times[name]):.3f}"
        print(f"{name:20s} median {median[name]:.3f} s  ({spread}, n={args.repeats})  $ {shlex.join(cmd)}")
    ratio = median["zoo list"] / median["timm.list_models()"]
    verdict = f"{'meets' if median['zoo list'] <= TARGET_S else 'MISSES'} the {TARGET_S} s target"
    print(f"zoo list / timm.list_models() = {ratio:.3f} ({1 / ratio:.1f}x faster); {verdict}")
    print(f"command: {shlex.join([sys.executable, *sys.argv])}")


if __name__ == "__main__":
    main()
