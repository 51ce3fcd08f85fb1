"""Peak memory of ``zoo run srgan in.png --out out.png`` (the streaming path) as the input grows, and the
time the tiled path adds to a plain forward pass of the same generator.

Each run is its own process, which reports its peak resident memory (``VmHWM``); "above load" subtracts the
peak once torch and the model are loaded. The input is a smooth gradient plus noise, written once as a PNG
into a temporary folder::

    OMP_NUM_THREADS=1 python benchmarks/upscale_memory.py --sizes 2000        # one size, then extrapolate
    OMP_NUM_THREADS=1 python benchmarks/upscale_memory.py --sizes 10000       # the full case (hours on a CPU)

Timing (``--time-size``, 256 by default): ``plain`` = ``generator(x).clamp(0, 1)`` on the whole image;
``upscale`` = ``upscale(image, out=PNG)`` with the default tile (the whole 256x256 image is one tile: the
cost of reading, finishing rows and writing the PNG); ``tile T`` = the same with tiles of ``T`` and the
exact context, against the network time of its own tiles (the blending's and band handling's cost alone;
the extra network work of overlapping tiles is the price of exact context, see docs/srgan.md).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

WORKER = r"""
import json, sys, time
args = json.loads(sys.argv[1])

def peak_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024

import torch
torch.set_num_threads(args["threads"])
import zoo
from PIL import Image
model = zoo.load(args["model"])
model.upscale(torch.rand(1, 3, 8, 8))  # warm: the first call's one-time costs
result = {"load_mb": peak_mb()}
start = time.perf_counter()
if args["mode"] == "cli":
    from zoo.cli import main
    assert main(["-q", "run", args["model"], args["input"], "--out", args["out"]]) == 0
elif args["mode"] == "plain":
    from zoo.images import read_image
    x = read_image(args["input"])[None]
    start = time.perf_counter()
    with torch.no_grad():
        model.generator(x).clamp(0, 1)
else:
    net_seconds = []
    forward = model.generator.forward
    def timed(t):
        t0 = time.perf_counter(); y = forward(t); net_seconds.append(time.perf_counter() - t0); return y
    model.generator.forward = timed
    model.upscale(args["input"], tile=args["tile"], out=args["out"])
    result["net_s"] = sum(net_seconds)
    result["tiles"] = len(net_seconds)
result["s"] = time.perf_counter() - start
result["peak_mb"] = peak_mb()
print(json.dumps(result))
"""


def write_input(path: Path, width: int, height: int, seed: int = 0) -> None:
    """A ``width`` x ``height`` RGB PNG: a smooth colour gradient plus noise, written a band at a time."""
    from zoo.images import write_png_rows

    rng = np.random.default_rng(seed)
    across, down = np.linspace(0, 1, width, dtype=np.float32), np.linspace(0, 1, height, dtype=np.float32)

    def bands():
        for top in range(0, height, 256):
            y, x = np.broadcast_arrays(down[top : top + 256, None], across[None])
            rgb = np.stack([y, x, (x + y) / 2], -1)
            noisy = rgb * 200 + 20 + rng.normal(0, 12, rgb.shape)
            yield np.clip(noisy, 0, 255).astype(np.uint8)

    write_png_rows(path, (width, height), "RGB", bands())


def side(text: str) -> tuple[int, int]:
    """``N`` (a square) or ``WxH``."""
    width, _, height = text.partition("x")
    return int(width), int(height or width)


def measure(**args) -> dict:
    """One run in a fresh process."""
    proc = subprocess.run([sys.executable, "-c", WORKER, json.dumps(args)], capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.strip()[-2000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", default="srgan")
    parser.add_argument(
        "--sizes", type=side, nargs="*", default=[(2000, 2000)], help="inputs of the memory runs: N or WxH"
    )
    parser.add_argument("--time-size", type=int, default=256, help="input side for the timing runs (0: none)")
    parser.add_argument("--tile", type=int, default=128, help="the multi-tile timing run's tile")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    command = "python benchmarks/upscale_memory.py " + " ".join(argv if argv is not None else sys.argv[1:])
    common = {"model": args.model, "threads": args.threads, "tile": 256}
    with tempfile.TemporaryDirectory() as tmp:
        for w, h in args.sizes:
            source, out = Path(tmp, f"in{w}x{h}.png"), Path(tmp, f"out{w}x{h}.png")
            write_input(source, w, h)
            r = measure(mode="cli", input=str(source), out=str(out), **common)
            print(
                f"memory  {w}x{h} -> {4 * w}x{4 * h} (zoo run, PNG streamed): peak RSS "
                f"{r['peak_mb']:.0f} MB, {r['peak_mb'] - r['load_mb']:.0f} MB above load, {r['s']:.1f} s; "
                f"the output as uint8 would be {48 * w * h / 2**20:.0f} MB, as float32 "
                f"{192 * w * h / 2**20:.0f} MB",
                flush=True,
            )
            out.unlink()
        if args.time_size:
            source, out = Path(tmp, "time.png"), Path(tmp, "time_out.png")
            write_input(source, args.time_size, args.time_size)
            plain = measure(mode="plain", input=str(source), out=str(out), **common)
            whole = measure(mode="upscale", input=str(source), out=str(out), **common)
            tiled = measure(mode="upscale", input=str(source), out=str(out), **{**common, "tile": args.tile})
            n = args.time_size
            print(
                f"time    {n}x{n}: plain forward {plain['s']:.2f} s; upscale(out=PNG), one tile "
                f"{whole['s']:.2f} s (overhead {whole['s'] / plain['s'] - 1:+.1%})",
                flush=True,
            )
            print(
                f"time    {n}x{n}, tile {args.tile}: {tiled['s']:.2f} s for {tiled['tiles']} tiles whose "
                f"forward passes take {tiled['net_s']:.2f} s (tiling overhead "
                f"{tiled['s'] / tiled['net_s'] - 1:+.1%}; {tiled['s'] / plain['s']:.2f}x the plain forward, "
                "exact context)",
                flush=True,
            )
    print(f"command: OMP_NUM_THREADS={args.threads} {command}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
