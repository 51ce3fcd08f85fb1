"""``zoo.load("dcgan")`` time above ``import torch`` plus building the network, in fresh processes.

Two scripts run ``--repeats`` times each, interleaved, each in a new process with torch already
imported before the clock starts: (a) ``zoo.load(NAME)`` (registry, plugin import, network, weights
file resolution from the cache or the bundled file, sha256 check, strict load, eval); (b) only building
the same network from its registry entry. The overhead of loading is median(a) - median(b); target
at most 0.5 s. Run: ``python benchmarks/load_speed.py [--name dcgan]``.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys

TARGET_S = 0.5

PRELUDE = """
import json, logging, time
import torch
logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
start = time.perf_counter()
"""
LOAD = (
    PRELUDE
    + """
import zoo
model = zoo.load({name!r})
print(json.dumps({{"seconds": time.perf_counter() - start}}))
"""
)
BUILD = (
    PRELUDE
    + """
from zoo.registry import registry
entry = registry().find({name!r})
model = registry().variant(entry.variant).model_class()(**entry.config)
print(json.dumps({{"seconds": time.perf_counter() - start}}))
"""
)


def run(code: str, env: dict[str, str]) -> tuple[float, str]:
    """Seconds the script measured, and what it logged (the loader says which weights file it used)."""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, env=env)
    if proc.returncode != 0:
        raise SystemExit(f"benchmark script failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])["seconds"], proc.stderr.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", default="dcgan")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--offline", action="store_true", help="HF_HUB_OFFLINE=1: cache or bundled file")
    args = parser.parse_args()
    env = {**os.environ, **({"HF_HUB_OFFLINE": "1"} if args.offline else {})}
    scripts = {"zoo.load": LOAD.format(name=args.name), "build only": BUILD.format(name=args.name)}
    _, log = run(scripts["zoo.load"], env)  # warm-up: fills the disk cache (and shows the weights source)
    times: dict[str, list[float]] = {name: [] for name in scripts}
    for _ in range(args.repeats):
        for name, code in scripts.items():
            times[name].append(run(code, env)[0])
    median = {name: statistics.median(t) for name, t in times.items()}
    print("loader log:", *(log.splitlines() or ["(nothing at INFO)"]), sep="\n  ")
    for name, t in times.items():
        spread = f"min {min(t):.3f} max {max(t):.3f}, n={args.repeats}"
        print(f"{name:12s} median {median[name]:.3f} s  ({spread})")
    overhead = median["zoo.load"] - median["build only"]
    verdict = f"{'meets' if overhead <= TARGET_S else 'MISSES'} the {TARGET_S} s target"
    print(f"zoo.load({args.name!r}) above import torch + building the network: {overhead:.3f} s; {verdict}")
    print(f"command: {shlex.join([sys.executable, *sys.argv])}")


if __name__ == "__main__":
    main()
