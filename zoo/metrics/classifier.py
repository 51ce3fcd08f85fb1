"""The small digit classifiers: MNIST's (whose features the Fréchet distance and class coverage use) and
the font digits' (which grades translations into that domain).

Each is trained by ``python -m zoo.metrics.train_classifier --data DOMAIN`` on its domain's ``train``
split (4,000 digits) and bundled with the package; its test-split accuracy and the sha256 of its weights
are recorded in ``<name>.json`` next to them, and the sha256 is checked on every load.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from zoo.images import normalize
from zoo.weights import load_weights

#: the bundled classifier of each digit domain (a dataset name of ``zoo.data``)
CLASSIFIERS = {"mnist": "digit_classifier", "fonts": "font_classifier"}
WEIGHTS = Path(__file__).with_name("digit_classifier.safetensors")
RECORD = Path(__file__).with_name("digit_classifier.json")


def files(domain: str = "mnist") -> tuple[Path, Path]:
    """The weights and record files of ``domain``'s classifier."""
    if domain not in CLASSIFIERS:
        raise ValueError(f"no digit classifier for {domain!r}; there is one for: {', '.join(CLASSIFIERS)}")
    stem = Path(__file__).with_name(CLASSIFIERS[domain])
    return stem.with_suffix(".safetensors"), stem.with_suffix(".json")


INPUT_SIZE = 32
FEATURE_DIM = 128


class DigitClassifier(nn.Module):
    """Three conv-BN-ReLU-pool blocks on ``(N, 1, 32, 32)`` images in [0, 1], 128-d features, 10 logits."""

    def __init__(self) -> None:
        super().__init__()

        def block(cin: int, cout: int) -> nn.Sequential:
            return nn.Sequential(
                nn.Conv2d(cin, cout, 3, padding=1, bias=False),
                nn.BatchNorm2d(cout),
                nn.ReLU(),
                nn.MaxPool2d(2),
            )

        self.body = nn.Sequential(block(1, 32), block(32, 64), block(64, 128), nn.AdaptiveAvgPool2d(1))
        self.embed = nn.Sequential(nn.Flatten(), nn.Linear(128, FEATURE_DIM), nn.ReLU())
        self.head = nn.Linear(FEATURE_DIM, 10)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The penultimate ``(N, 128)`` features."""
        return self.embed(self.body(normalize(x)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


def to_classifier_input(images: torch.Tensor) -> torch.Tensor:
    """Digits as the classifier sees them: ``(N, 1, 32, 32)`` float on the CPU; 28x28 is zero-padded."""
    if images.dim() != 4 or images.shape[1] != 1:
        raise ValueError(
            f"the digit classifier takes (N, 1, H, W) grey images, got shape {tuple(images.shape)}: "
            "class coverage and the Fréchet distance here are defined for MNIST-like digits only"
        )
    size = images.shape[-1]
    if images.shape[-2] != size or size not in (28, INPUT_SIZE):
        raise ValueError(f"digit images must be 28x28 or 32x32, got {tuple(images.shape[-2:])}")
    images = images.detach().float().cpu()
    pad = (INPUT_SIZE - size) // 2
    return F.pad(images, (pad, pad, pad, pad)) if pad else images


def record(domain: str = "mnist") -> dict[str, Any]:
    """What ``train_classifier`` recorded for ``domain``: test accuracy, sha256, data, command."""
    path = files(domain)[1]
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} is missing: the bundled {domain} classifier was not trained; run "
            f"`python -m zoo.metrics.train_classifier --data {domain}`"
        )
    return json.loads(path.read_text())


@functools.cache
def load_classifier(domain: str = "mnist") -> DigitClassifier:
    """``domain``'s bundled classifier in eval mode on the CPU, loaded strictly, sha256 checked (cached)."""
    model = load_weights(DigitClassifier(), files(domain)[0], sha256=record(domain)["sha256"])
    return model.eval().requires_grad_(False)


@torch.no_grad()
def features_and_labels(
    images: torch.Tensor, batch_size: int = 500, domain: str = "mnist"
) -> tuple[torch.Tensor, torch.Tensor]:
    """Penultimate features ``(N, 128)`` (float64) and predicted labels ``(N,)`` of digit images, by the
    classifier of ``domain``."""
    net = load_classifier(domain)
    feats, labels = [], []
    for chunk in to_classifier_input(images).split(batch_size):
        f = net.features(chunk)
        feats.append(f.double())
        labels.append(net.head(f).argmax(1))
    return torch.cat(feats), torch.cat(labels)
