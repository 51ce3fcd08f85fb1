"""The judges of each digit domain: every classifier that grades images of that domain, so that a quality
claim holds under more than one.

``cnn`` is the bundled 3-block CNN of ``zoo.metrics.classifier`` (trained on the domain's train split).
``lenet`` is a second judge independent of it: another architecture (LeNet-5's layout: 5x5 convolutions, no
batch norm, a fully connected head), other training code, augmentation and seed, and for the font digits
other fonts (the oblique and italic faces matplotlib ships, and Pillow's own Aileron: none of them in
``zoo.data.fonts.FONTS``). ``python benchmarks/train_second_judges.py`` trains both and writes
``lenet_<domain>.safetensors`` with its record ``lenet_<domain>.json`` (test accuracy, data, recipe,
sha256, checked on every load).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import torch
from torch import nn

from zoo.metrics.classifier import files, load_classifier, record, to_classifier_input
from zoo.weights import load_weights

#: every domain's judges, the first the bundled CNN whose features the other metrics use
JUDGES = ("cnn", "lenet")


class LeNet(nn.Module):
    """LeNet-5's layout on ``(N, 1, 32, 32)`` images in [0, 1]: conv5-pool-conv5-pool, two hidden fully
    connected layers (with dropout), 10 logits; ReLU and max pooling, no normalisation layers."""

    def __init__(self, widths: tuple[int, int] = (20, 50), hidden: tuple[int, int] = (200, 84)) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, widths[0], 5),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(widths[0], widths[1], 5),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
        )
        self.head = nn.Sequential(
            nn.Dropout(0.3),
            nn.Linear(widths[1] * 5 * 5, hidden[0]),
            nn.ReLU(),
            nn.Dropout(0.3),
            nn.Linear(hidden[0], hidden[1]),
            nn.ReLU(),
            nn.Linear(hidden[1], 10),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x * 2 - 1))


def lenet_files(domain: str) -> tuple[Path, Path]:
    """The weights and record files of ``domain``'s LeNet judge."""
    stem = Path(__file__).with_name(f"lenet_{domain}")
    return stem.with_suffix(".safetensors"), stem.with_suffix(".json")


def judge_record(domain: str, judge: str) -> dict[str, Any]:
    """What was recorded when ``judge`` of ``domain`` was trained: test accuracy, data, sha256, command."""
    _check(judge)
    if judge == "cnn":
        return record(domain)
    path = lenet_files(domain)[1]
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} is missing: the {domain} LeNet judge was not trained; run "
            "`python benchmarks/train_second_judges.py`"
        )
    return json.loads(path.read_text())


@functools.cache
def load_judge(domain: str, judge: str) -> nn.Module:
    """``judge`` of ``domain`` in eval mode on the CPU, loaded strictly, sha256 checked (cached)."""
    _check(judge)
    if judge == "cnn":
        return load_classifier(domain)
    weights = lenet_files(domain)[0]
    model = load_weights(LeNet(), weights, sha256=judge_record(domain, judge)["sha256"])
    return model.eval().requires_grad_(False)


@torch.no_grad()
def judge_labels(images: torch.Tensor, domain: str, judge: str, batch_size: int = 500) -> torch.Tensor:
    """The labels ``judge`` of ``domain`` gives ``(N, 1, 28 or 32, same)`` digit images in [0, 1]."""
    net = load_judge(domain, judge)
    return torch.cat([net(chunk).argmax(1) for chunk in to_classifier_input(images).split(batch_size)])


def describe(domain: str) -> str:
    """The judges of ``domain`` in words, with their files and sha256, for protocols."""
    paths = {"cnn": files(domain)[0], "lenet": lenet_files(domain)[0]}
    return " and ".join(
        f"{judge} (zoo/metrics/{paths[judge].name}, sha256 {judge_record(domain, judge)['sha256'][:12]})"
        for judge in JUDGES
    )


def _check(judge: str) -> None:
    if judge not in JUDGES:
        raise ValueError(f"no digit judge {judge!r}; there are: {', '.join(JUDGES)}")
