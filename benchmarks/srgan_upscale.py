"""Speed and peak memory of ``upscale`` (tiled and untiled) against a plain forward pass of the generator.

Each measurement runs in its own process, so its peak resident memory (``ru_maxrss``) is its own; "above
load" is that peak minus the peak once torch and the model are loaded (the input, output and activations)::

    OMP_NUM_THREADS=1 python benchmarks/srgan_upscale.py                 # srresnet, 256 and 1024 inputs
    python benchmarks/srgan_upscale.py --sizes 256 --tiles 64 128 256 --device cuda --amp bf16 --channels-last

Modes: ``plain`` = ``generator(x)`` on the whole image; ``untiled`` = ``upscale(x, tile=size)`` (one tile);
``tile=T`` = ``upscale(x, tile=T)`` with the exact context (receptive radius); ``tile=T pad=P`` with less
context (faster, approximate: the table gives the largest difference to the untiled output, in 8-bit levels).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

WORKER = r"""
import json, resource, sys, time, torch
args = json.loads(sys.argv[1])
torch.set_num_threads(args["threads"])
import zoo
model = zoo.load(args["model"], device=args["device"])
if args["channels_last"]:
    model = model.to(memory_format=torch.channels_last)
dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(args["amp"])
x = torch.rand(1, 3, args["size"], args["size"], generator=torch.Generator().manual_seed(0))
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

def run():
    device_type = args["device"].split(":")[0]
    with torch.no_grad(), torch.autocast(device_type, dtype=dtype, enabled=dtype is not None):
        if args["mode"] == "plain":
            return model.generator(x.to(args["device"])).clamp(0, 1).float().cpu()
        tile = args["size"] if args["mode"] == "untiled" else args["tile"]
        return model.upscale(x, tile=tile, pad=args["pad"])

out = run() if args["warmup"] else None  # warm-up: one untimed run
if args["device"].startswith("cuda"):
    torch.cuda.synchronize(); torch.cuda.reset_peak_memory_stats()
start = time.perf_counter()
for _ in range(args["repeat"]):
    out = run()
if args["device"].startswith("cuda"):
    torch.cuda.synchronize()
seconds = (time.perf_counter() - start) / args["repeat"]
result = {"s_per_img": seconds, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
          "start_rss_mb": base / 1024, "output_mb": out.numel() * 4 / 2**20}
if args["device"].startswith("cuda"):
    result["peak_gpu_mb"] = torch.cuda.max_memory_allocated() / 2**20
if args["compare"]:
    with torch.no_grad():
        ref = model.upscale(x, tile=args["size"])
    result["max_diff_255"] = float((out - ref).abs().max() * 255)
print(json.dumps(result))
"""


def measure(**args) -> dict:
    """One configuration in a fresh process; its timing and memory."""
    proc = subprocess.run(
        [sys.executable, "-c", WORKER, json.dumps(args)], capture_output=True, text=True, timeout=3600
    )
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", default="srresnet")
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 1024], help="input sides (LR pixels)")
    parser.add_argument("--tiles", type=int, nargs="+", default=[128, 256, 512])
    parser.add_argument("--pads", type=int, nargs="*", default=[8], help="approximate context to compare")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--amp", choices=["bf16", "fp16"], help="autocast dtype")
    parser.add_argument("--channels-last", action="store_true")
    parser.add_argument("--json", help="also write the rows to this JSON file")
    parser.add_argument("--only", nargs="*", help="run only these modes, e.g. 'tile=256' 'tile=256 pad=8'")
    parser.add_argument(
        "--warmup", action=argparse.BooleanOptionalAction, default=True, help="one untimed run first"
    )
    args = parser.parse_args(argv)
    common = {
        "model": args.model,
        "threads": args.threads,
        "repeat": args.repeat,
        "device": args.device,
        "amp": args.amp,
        "channels_last": args.channels_last,
        "warmup": args.warmup,
    }
    configs = [("plain", None, None), ("untiled", None, None)]
    configs += [(f"tile={t}", t, None) for t in args.tiles]
    configs += [(f"tile={t} pad={p}", t, p) for t in args.tiles for p in args.pads]
    rows = []
    header = ("input", "mode", "img/s", "s/img", "peak RSS MB", "above load MB", "output MB", "diff")
    print("{:>6} {:<18} {:>8} {:>8} {:>12} {:>14} {:>10} {:>6}".format(*header))
    for size in args.sizes:
        for label, tile, pad in configs:
            if (tile is not None and tile >= size) or (args.only and label not in args.only):
                continue
            mode = label.split("=")[0] if tile is None else "tiled"
            started = time.perf_counter()
            result = measure(size=size, mode=mode, tile=tile, pad=pad, compare=pad is not None, **common)
            row = {"size": size, "mode": label, **result, "wall_s": time.perf_counter() - started}
            rows.append(row)
            if "error" in result:
                print(f"{size:>6} {label:<18} error: {result['error']}")
                continue
            diff = f"{result['max_diff_255']:.2f}" if "max_diff_255" in result else ""
            print(
                f"{size:>6} {label:<18} {1 / result['s_per_img']:>8.3f} {result['s_per_img']:>8.2f} "
                f"{result['peak_rss_mb']:>12.0f} {result['peak_rss_mb'] - result['start_rss_mb']:>14.0f} "
                f"{result['output_mb']:>10.0f} {diff:>6}"
            )
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"args": vars(args), "rows": rows}, f, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
