"""GANomaly vs its autoencoder baseline on the one-class MNIST protocol, every digit as the anomaly.

For each held-out digit both models train with one recipe (``configs/ganomaly-mnist.yaml``; the baseline
sets ``adversarial: false``: the same encoder and decoder trained on the L1 loss alone, scored by its
reconstruction error) and are scored on the 1,000 test digits. Results (per-class AUROC, means, recipe,
protocol, timings) go to ``benchmarks/results/ganomaly_mnist.json``, rewritten after every run; runs
already in the file with the same recipe are skipped, so a stopped benchmark continues where it was.

    OMP_NUM_THREADS=1 python benchmarks/ganomaly_mnist.py [--classes 0 1 ...] [--steps N]
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import time
from pathlib import Path
from typing import Any

import torch

import zoo
from zoo.data import build_dataset
from zoo.io import atomic_path
from zoo.metrics.anomaly import evaluate_detector
from zoo.metrics.suite import protocol
from zoo.trainer.recipe import read_recipe_file

ROOT = Path(__file__).resolve().parent.parent
RECIPE = ROOT / "configs" / "ganomaly-mnist.yaml"
RESULTS = ROOT / "benchmarks" / "results" / "ganomaly_mnist.json"
KINDS = ("ganomaly", "autoencoder")


def recipe_for(base: dict[str, Any], kind: str, anomaly: int, out: Path) -> dict[str, Any]:
    """The benchmark recipe of one run: ``base`` with the held-out digit, the kind of model, the run dir."""
    recipe = copy.deepcopy(base)
    spec = {"name": "mnist_oneclass", "anomaly": anomaly}
    recipe.update(data=dict(spec), validation=dict(spec), out=str(out), sample_every=0)
    if kind == "autoencoder":
        recipe["model"]["adversarial"] = False
        recipe["optimizers"] = {"generator": recipe["optimizers"]["generator"]}
    return recipe


def run_one(base: dict[str, Any], kind: str, anomaly: int, runs: Path) -> dict[str, Any]:
    """Train one model (or reuse its finished run) and score it on the test split."""
    out = runs / f"{kind}-{anomaly}"
    recipe = recipe_for(base, kind, anomaly, out)
    start = time.perf_counter()
    done = out / "config.json"
    if not (done.is_file() and json.loads(done.read_text()).get("steps") == recipe["steps"]):
        zoo.train(recipe, resume=(out / "checkpoint.pt").is_file())
    seconds = time.perf_counter() - start
    validation = json.loads((out / "eval.json").read_text())
    test = evaluate_detector(zoo.load(out), build_dataset(recipe["data"], "test"))
    return {
        "anomaly": anomaly,
        "kind": kind,
        "test_auroc": test["auroc"],
        "test_tpr": test["tpr"],
        "test_fpr": test["fpr"],
        "validation_auroc": validation["auroc"],
        "threshold": validation["threshold"],
        "train_seconds": round(seconds, 1),
        "run": str(out),
    }


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Per-kind mean AUROC over the classes done, and per-class AUROC side by side."""
    out: dict[str, Any] = {}
    for kind in KINDS:
        aucs = {r["anomaly"]: r["test_auroc"] for r in rows if r["kind"] == kind}
        if aucs:
            out[kind] = {"mean_auroc": statistics.fmean(aucs.values()), "classes": len(aucs), "auroc": aucs}
    return out


def write(results: dict[str, Any], path: Path) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(results, indent=2) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--classes", type=int, nargs="+", default=list(range(10)))
    parser.add_argument("--kinds", nargs="+", default=list(KINDS), choices=KINDS)
    parser.add_argument("--steps", type=int, help="override the recipe's steps")
    parser.add_argument("--runs", type=Path, default=ROOT / "runs" / "ganomaly-bench")
    parser.add_argument("--json", type=Path, default=RESULTS)
    args = parser.parse_args()
    base = read_recipe_file(RECIPE)
    if args.steps:
        base["steps"] = args.steps
    results = json.loads(args.json.read_text()) if args.json.is_file() else {}
    if results.get("recipe") != base:
        results = {"recipe": base, "rows": []}  # another recipe: its rows do not belong with these
    results.update(
        command="OMP_NUM_THREADS=1 python benchmarks/ganomaly_mnist.py"
        + (f" --steps {args.steps}" if args.steps else ""),
        protocol=protocol({"name": "mnist_oneclass", "anomaly": 0}, 1000, 0).replace(
            "digit 0", "each digit in turn"
        ),
        torch_threads=torch.get_num_threads(),
    )
    for anomaly in args.classes:
        for kind in args.kinds:
            if any(r["anomaly"] == anomaly and r["kind"] == kind for r in results["rows"]):
                continue
            row = run_one(base, kind, anomaly, args.runs)
            results["rows"].append(row)
            results["summary"] = summary(results["rows"])
            write(results, args.json)
            print(json.dumps(row), flush=True)
    print(json.dumps(results.get("summary", {}), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
