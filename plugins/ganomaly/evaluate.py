"""AUROC of a GANomaly model on the one-class MNIST test split, with its protocol.

``python -m zoo_plugins.ganomaly.evaluate TARGET [--anomaly K]`` loads ``TARGET`` (a registry name, run
directory or ``hf-hub:`` repo), takes the held-out digit from its recipe (``data.anomaly``) unless
``--anomaly`` is given, and prints JSON: ``auroc`` on the 1,000 test digits, and the TPR/FPR of the
stored threshold there.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from typing import Any

import torch

from zoo.data import build_dataset
from zoo.metrics.anomaly import auroc

PROG = "python -m zoo_plugins.ganomaly.evaluate"


@torch.no_grad()
def evaluate_oneclass(model: Any, anomaly: int, split: str = "test") -> dict[str, Any]:
    """``auroc`` of ``model.raw_scores`` on the ``split`` of ``mnist_oneclass`` with digit ``anomaly`` held
    out; with a calibrated model also ``tpr``/``fpr`` of its threshold there."""
    data = build_dataset({"name": "mnist_oneclass", "anomaly": anomaly}, split)
    raw = model.raw_scores(data.images)
    out: dict[str, Any] = {"auroc": auroc(raw, data.labels)}
    if model.calibrated:
        flagged = model.normalized(raw) >= model.threshold.float().cpu()
        out["tpr"] = flagged[data.labels == 1].double().mean().item()
        out["fpr"] = flagged[data.labels == 0].double().mean().item()
    out.update(n=len(data.labels), n_anomalous=int(data.labels.sum()), anomaly=anomaly, split=split)
    return out


def protocol(anomaly: int) -> str:
    """The numbers' protocol in words, for the registry and model cards."""
    return (
        f"mnist_oneclass, digit {anomaly} held out as the anomaly: trained on the normal digits of zoo's "
        "MNIST train split minus a validation part (80 digits of each class, seed 1); min-max constants "
        "and threshold (Youden's J) chosen on that validation part (720 normal, 80 anomalous); AUROC of "
        "the score on the 1,000 test-split digits (900 normal, 100 anomalous), model in eval mode"
    )


def held_out_digit(target: str) -> int:
    """The ``anomaly`` of the data spec ``target`` was trained on (its run's or registry entry's recipe)."""
    from zoo.metrics.report import recipe_data

    spec = recipe_data(target)
    if not isinstance(spec, dict) or spec.get("name") != "mnist_oneclass" or "anomaly" not in spec:
        raise ValueError(f"{target} was not trained on mnist_oneclass (data: {spec!r}): pass --anomaly K")
    return int(spec["anomaly"])


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument("target", help="registry name, run directory or hf-hub:user/repo[@rev]")
    parser.add_argument("--anomaly", type=int, help="the held-out digit (default: from the recipe)")
    parser.add_argument("--split", default="test", choices=["test", "validation"])
    args = parser.parse_args(argv)
    import zoo

    anomaly = held_out_digit(args.target) if args.anomaly is None else args.anomaly
    out = evaluate_oneclass(zoo.load(args.target), anomaly, args.split)
    out.update(
        protocol=protocol(anomaly), model=args.target, command=" ".join([PROG, *map(shlex.quote, argv)])
    )
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
