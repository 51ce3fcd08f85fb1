"""``zoo convert`` of a 54 M-parameter pix2pix generator against reading and rewriting the same tensors.

The file: an original-layout ``latest_net_G.pth`` of ``unet_256`` (ngf 64, 3 -> 3 channels, batch norm;
54.4 M parameters, about 218 MB). Two scripts run ``--repeats`` times each, interleaved, each in a fresh
process whose imports (torch, safetensors, zoo and the pix2pix plugin) are done before the clock starts:
(a) ``torch.load(weights_only=True)`` + ``safetensors.torch.save_file`` of the same tensors, the least a
conversion does; (b) ``zoo.convert.convert("pix2pix", [FILE], OUT)``. Each reports its seconds and its peak
resident memory above its own baseline after the imports (``VmHWM`` after minus before, the high-water
mark reset to the current RSS through ``/proc/self/clear_refs`` where the kernel allows). Targets: median
time of (b) at most 1.5x that of (a), and the peak memory of (b) at most 2.5x the file size.
Run: ``python benchmarks/convert_speed.py [--repeats 5]``.
"""

from __future__ import annotations

import argparse
import json
import shlex
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

TIME_RATIO = 1.5
MEMORY_RATIO = 2.5

PRELUDE = """
import json, sys, time
from pathlib import Path
import torch
from safetensors.torch import save_file
from zoo.convert import convert
from zoo.registry import registry
registry().variant("pix2pix").model_class()  # the plugin's import, before the clock

def status(field):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024

try:
    Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS
except OSError:
    pass
base = status("VmHWM")  # the current RSS once reset; else the imports' peak (a lower bound)
src, out = Path(sys.argv[1]), Path(sys.argv[2])
start = time.perf_counter()
"""
BASELINE = (
    PRELUDE
    + """
state = torch.load(src, map_location="cpu", weights_only=True)
out.mkdir()
save_file(state, str(out / "model.safetensors"))
"""
)
CONVERT = (
    PRELUDE
    + """
convert("pix2pix", [src], out)
"""
)
REPORT = """
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "peak_bytes": status("VmHWM") - base}))
"""


def write_original(path: Path) -> int:
    """An original-layout unet_256 generator file (random weights); returns its parameter count."""
    import torch
    from zoo_plugins.pix2pix.networks import define_generator

    net = define_generator("unet_256", 3, 3, 64, "batch", True)
    torch.save(net.state_dict(), path)
    return sum(p.numel() for p in net.parameters())


def run(code: str, src: Path, out: Path) -> dict[str, float]:
    proc = subprocess.run(
        [sys.executable, "-c", code + REPORT, str(src), str(out)], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise SystemExit(f"benchmark script failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "latest_net_G.pth"
        params = write_original(src)
        size = src.stat().st_size
        results: dict[str, list[dict[str, float]]] = {"baseline": [], "convert": []}
        for i in range(args.repeats + 1):  # the first round warms the page cache: not counted
            for name, code in (("baseline", BASELINE), ("convert", CONVERT)):
                result = run(code, src, Path(tmp) / f"{name}-{i}")
                if i:
                    results[name].append(result)
    seconds = {k: statistics.median(r["seconds"] for r in v) for k, v in results.items()}
    peak = {k: max(r["peak_bytes"] for r in v) for k, v in results.items()}
    time_ratio = seconds["convert"] / seconds["baseline"]
    memory_ratio = peak["convert"] / size
    print(f"file: unet_256, {params / 1e6:.1f} M parameters, {size / 1e6:.0f} MB")
    print(
        f"torch.load + save_file: {seconds['baseline']:.2f} s, peak {peak['baseline'] / 1e6:.0f} MB "
        f"({peak['baseline'] / size:.2f}x the file)"
    )
    print(
        f"zoo convert:            {seconds['convert']:.2f} s, peak {peak['convert'] / 1e6:.0f} MB "
        f"({memory_ratio:.2f}x the file)"
    )
    print(
        f"time ratio {time_ratio:.2f} (target <= {TIME_RATIO}), memory ratio {memory_ratio:.2f} "
        f"(target <= {MEMORY_RATIO}); medians of {args.repeats} fresh processes each"
    )
    print("command: python " + shlex.join(["benchmarks/convert_speed.py", *sys.argv[1:]]))
    return 0 if time_ratio <= TIME_RATIO and memory_ratio <= MEMORY_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
