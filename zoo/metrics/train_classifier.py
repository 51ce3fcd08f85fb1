"""Train a bundled digit classifier: ``python -m zoo.metrics.train_classifier [--data mnist|fonts]``.

Seeded and single-threaded, so a rerun gives the same weights on the same machine. Trains on the
domain's ``train`` split (4,000 digits) with small random affine jitter, reports accuracy on its ``test``
split (1,000 digits, never used for any choice), and writes the weights and their JSON record.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from zoo.data import build_dataset
from zoo.data.augment import jitter
from zoo.io import atomic_path
from zoo.metrics.classifier import CLASSIFIERS, DigitClassifier, files
from zoo.weights import save_weights, sha256_of

DATA = {
    "mnist": "mnist train split (4,000 digits, 32x32, seed-0 stratified split) with random affine jitter",
    "fonts": "font digits train split (4,000 digits of 12 matplotlib fonts, 32x32) with random affine jitter",
}


@torch.no_grad()
def accuracy(model: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> float:
    """Share of ``images`` the model labels correctly."""
    model.eval()
    pred = torch.cat([model(chunk).argmax(1) for chunk in images.split(500)])
    return (pred == labels).double().mean().item()


def train(
    epochs: int,
    seed: int,
    data: str | Sequence[str] = "mnist",
    batch_size: int = 64,
    lr: float = 2e-3,
    make_model: Callable[[], nn.Module] = DigitClassifier,
) -> tuple[nn.Module, float]:
    """Train ``make_model()`` (built after seeding) on the train split of ``data`` (one labelled dataset
    or several) from ``seed``; returns the model and its test-split accuracy."""
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    x, y = _split(data, "train")
    model = make_model()
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    steps = epochs * math.ceil(len(y) / batch_size)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps)
    for epoch in range(epochs):
        model.train()
        start, total = time.perf_counter(), 0.0
        for idx in torch.randperm(len(y), generator=gen).split(batch_size):
            loss = F.cross_entropy(model(jitter(x[idx], gen)), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
        print(f"epoch {epoch + 1}/{epochs}: loss {total / len(y):.4f} ({time.perf_counter() - start:.1f} s)")
    return model, accuracy(model, *_split(data, "test"))


def _split(data: str | Sequence[str], split: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Images and labels of ``split`` of one labelled dataset, or of several joined."""
    sets = [build_dataset(name, split) for name in ([data] if isinstance(data, str) else data)]
    return torch.cat([s.images for s in sets]), torch.cat([s.labels for s in sets])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m zoo.metrics.train_classifier", description=__doc__)
    parser.add_argument("--data", choices=sorted(CLASSIFIERS), default="mnist", help="the digit domain")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None, help="folder for the weights and record")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    model, acc = train(args.epochs, args.seed, args.data)
    test_digits = len(build_dataset(args.data, "test"))
    weights, record = files(args.data)
    if args.out is not None:
        weights, record = args.out / weights.name, args.out / record.name
    command = "python -m zoo.metrics.train_classifier " + " ".join(argv if argv is not None else sys.argv[1:])
    info = {
        "test_accuracy": round(acc, 4),
        "test_digits": test_digits,
        "data": DATA[args.data],
        "epochs": args.epochs,
        "seed": args.seed,
        "torch": torch.__version__,
        "command": command.strip(),
    }
    save_weights(model, weights, metadata={k: str(v) for k, v in info.items()})
    with atomic_path(record) as tmp:
        tmp.write_text(json.dumps({**info, "sha256": sha256_of(weights)}, indent=2) + "\n")
    print(f"test accuracy {acc:.4f} on the {test_digits} test-split digits; wrote {weights} and {record}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
