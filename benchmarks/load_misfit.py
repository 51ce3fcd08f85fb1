"""Time and peak memory to the error when a run's ``config.json`` does not fit its weights.

A run directory holds the bundled ``dcgan-mnist`` weights (width 32, 2 MB) next to a ``config.json``
that says ``width: W``. Each case runs in a new process with torch and the DCGAN plugin already imported
before the clock starts; it prints the seconds ``zoo.load(run)`` takes to raise, how much the process's
peak RSS grew meanwhile, and the error. Target: well under 1 s and no large allocation, the same clear
``WeightsError`` for every width. Run: ``python benchmarks/load_misfit.py [--widths 2048 100000]``.
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

TARGET_S = 1.0

SCRIPT = """
import json, resource, time
import torch
import zoo
from zoo.registry import registry
registry().variant("dcgan").model_class()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
try:
    zoo.load({run!r})
    error = "no error"
except Exception as exc:
    error = f"{{type(exc).__name__}}: {{exc}}"
seconds = time.perf_counter() - start
grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
print(json.dumps({{"seconds": seconds, "rss_growth_mb": grown / 1024, "error": error}}))
"""


def misfit_run(directory: Path, width: int) -> Path:
    """A run directory with dcgan-mnist's bundled weights and a config that says ``width``."""
    from zoo.registry import registry

    entry = registry().find("dcgan-mnist")
    run = directory / f"width-{width}"
    run.mkdir()
    (run / "model.safetensors").write_bytes(Path(entry.weights.bundled).read_bytes())
    config = {**entry.config, "width": width}
    (run / "config.json").write_text(json.dumps({"variant": "dcgan", "config": config}))
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--widths", type=int, nargs="+", default=[2048, 100000])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for width in args.widths:
            code = SCRIPT.format(run=str(misfit_run(Path(tmp), width)))
            proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
            if proc.returncode != 0:
                raise SystemExit(f"benchmark script failed:\n{proc.stderr}")
            result = json.loads(proc.stdout.strip().splitlines()[-1])
            verdict = "meets" if result["seconds"] < TARGET_S else "MISSES"
            print(
                f"width {width}: error after {result['seconds']:.3f} s ({verdict} the {TARGET_S} s target), "
                f"peak RSS +{result['rss_growth_mb']:.0f} MB"
            )
            print(f"  {result['error'][:300]}")
    print(f"command: {shlex.join([sys.executable, *sys.argv])}")


if __name__ == "__main__":
    main()
