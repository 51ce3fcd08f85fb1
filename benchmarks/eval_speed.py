"""Time of ``zoo.metrics.evaluate`` and the numbers behind its protocol (classifier accuracy, FD floor).

In one process: the classifier's test-split accuracy recomputed; the real-vs-real floor at ``--n`` (the
averaged one ``evaluate`` reports, and single draws for several seeds, to show its spread); the first
``evaluate`` call (loads the classifier, computes the real features) and the median of later calls,
split into sampling and metrics, for a digit model and a 2-D mixture model. The models are built
with random weights (``pretrained=False``): the time does not depend on them.
Run: ``python benchmarks/eval_speed.py [--n 1000] [--repeats 5] [--threads 0]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time

import torch

import zoo
from zoo.data import build_dataset
from zoo.metrics import evaluate, frechet_distance
from zoo.metrics.classifier import features_and_labels, record
from zoo.metrics.suite import _floor, _real


def timed(fn, *args, **kwargs) -> tuple[float, object]:
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return time.perf_counter() - start, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    digits = zoo.load("dcgan-mnist", pretrained=False)
    toy = zoo.load("gan-gaussians25", pretrained=False)

    cold, _ = timed(evaluate, digits, "mnist", n=args.n)
    warm = [timed(evaluate, digits, "mnist", n=args.n, seed=s)[0] for s in range(1, args.repeats + 1)]
    sampling = [timed(digits.generate, args.n, seed=s)[0] for s in range(args.repeats)]
    toy_times = [timed(evaluate, toy, "gaussians25", seed=s)[0] for s in range(args.repeats)]

    test = build_dataset("mnist", "test")
    accuracy = (features_and_labels(test.images)[1] == test.labels).double().mean().item()
    train_feats, test_feats = _real("mnist", "train")[0], _real("mnist", "test")[0]
    single = []
    for seed in range(5):
        pick = torch.randperm(len(train_feats), generator=torch.Generator().manual_seed(seed))[: args.n]
        single.append(frechet_distance(train_feats[pick], test_feats))
    out = {
        "classifier_test_accuracy": accuracy,
        "classifier_recorded_accuracy": record()["test_accuracy"],
        "fd_floor": _floor("mnist", args.n, 0),
        "fd_floor_single_draws_seeds_0_4": single,
        "evaluate_digits_cold_s": cold,
        "evaluate_digits_warm_median_s": statistics.median(warm),
        "of_which_sampling_median_s": statistics.median(sampling),
        "evaluate_gaussians25_median_s": statistics.median(toy_times),
        "n": args.n,
        "torch_threads": torch.get_num_threads(),
        "command": " ".join(["python", "benchmarks/eval_speed.py", *sys.argv[1:]]),
    }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
