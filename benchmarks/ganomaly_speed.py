"""Scoring speed of GANomaly: images per second of ``model.raw_scores`` at 32 and 64 px.

``score`` adds one min-max step to it.

Random-weight models of the bundled width (16) and the paper's (64), 3 channels, batches of 64 tensors
already in memory (no file decoding), eval mode, on the CPU with the torch threads given, or on
``--device cuda``. Writes ``benchmarks/results/ganomaly_speed.json``.

    OMP_NUM_THREADS=1 python benchmarks/ganomaly_speed.py [--threads 1] [--device cpu]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import torch
from zoo_plugins.ganomaly.model import GANomaly

from zoo.io import atomic_path

RESULTS = Path(__file__).resolve().parent / "results" / "ganomaly_speed.json"


def images_per_second(model: GANomaly, images: torch.Tensor, seconds: float) -> float:
    """Score ``images`` repeatedly for about ``seconds`` (after one warm-up pass); images per second."""
    model.raw_scores(images)
    if images.is_cuda:
        torch.cuda.synchronize()
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        model.raw_scores(images)
        done += len(images)
    if images.is_cuda:
        torch.cuda.synchronize()
    return done / (time.perf_counter() - start)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--json", type=Path, default=RESULTS)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    rows = []
    for resolution in (32, 64):
        for width in (16, 64):
            torch.manual_seed(0)
            model = GANomaly(resolution=resolution, channels=3, width=width).to(args.device).eval()
            images = torch.rand(args.batch, 3, resolution, resolution, device=args.device)
            rate = images_per_second(model, images, args.seconds)
            params = sum(p.numel() for p in model.generator.parameters())
            rows.append(
                {"resolution": resolution, "width": width, "img_per_s": round(rate, 1), "params": params}
            )
            print(json.dumps(rows[-1]), flush=True)
    result = {
        "rows": rows,
        "device": args.device,
        "torch_threads": args.threads,
        "batch": args.batch,
        "cpu": platform.processor() or platform.machine(),
        "load_average_1min": os.getloadavg()[0],  # other processes sharing the CPU slow every number
        "torch": torch.__version__,
        "command": f"OMP_NUM_THREADS={args.threads} python benchmarks/ganomaly_speed.py "
        f"--threads {args.threads} --device {args.device}",
    }
    with atomic_path(args.json) as tmp:
        tmp.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
