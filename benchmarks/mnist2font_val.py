"""Label preservation of CycleGAN runs on the mnist2font val split, for choosing between recipes.

The val split is the 500 MNIST train digits that ``holdout: 50`` keeps out of training, with 500 font digits
of their own jitter seed; the test split (``zoo evaluate``) is left for the kept run. The
runs must have been trained with ``data: {name: mnist2font, holdout: 50, ...}`` (else val was seen).

    python benchmarks/mnist2font_val.py RUN [RUN ...]
"""

from __future__ import annotations

import argparse
import json

import zoo
from zoo.data import build_dataset
from zoo.metrics.translation import label_preservation


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs="+", help="run directories (or registry names) of cyclegan models")
    parser.add_argument("--holdout", type=int, default=50, help="the runs' holdout per class (default 50)")
    args = parser.parse_args()
    val = build_dataset({"name": "mnist2font", "holdout": args.holdout}, "val")
    for run in args.runs:
        scores = label_preservation(
            zoo.load(run), (val.a.images, val.a.labels), (val.b.images, val.b.labels), ("mnist", "fonts")
        )
        print(json.dumps({"run": run, **{k: round(v, 4) for k, v in scores.items()}}))


if __name__ == "__main__":
    main()
