"""Text-to-image metrics on the shapes data: R-precision with a model's DAMSM encoders, and the bundled
attribute classifier that grades generated single-shape scenes."""

from __future__ import annotations

import zlib

import pytest
import torch

from zoo.data.shapes import SIZES, CaptionedShapes, Shape
from zoo.metrics.shapes_attributes import (
    ATTRIBUTES,
    accuracy,
    graded_caption,
    load_classifier,
    record,
    single_shape_scenes,
)
from zoo.metrics.text_to_image import r_precision

DIM = 32


def _vector(caption: str) -> torch.Tensor:
    return torch.randn(DIM, generator=torch.Generator().manual_seed(zlib.crc32(caption.encode())))


class Oracle:
    """Encoders that map a caption to a fixed random vector and an "image" to its first DIM pixels."""

    def encode_text(self, captions):
        return None, torch.stack([_vector(c) for c in captions]), None

    def encode_images(self, images):
        return None, images.flatten(1)[:, :DIM]


def test_r_precision_is_one_for_matching_features_and_near_chance_for_shuffled():
    captions = [f"caption number {i}" for i in range(150)]
    images = torch.stack([_vector(c) for c in captions]).view(150, 2, 4, 4)
    assert r_precision(Oracle(), images, captions, captions, seed=0) == 1.0
    shuffled = images[torch.roll(torch.arange(150), 1)]
    assert r_precision(Oracle(), shuffled, captions, captions, seed=0) < 0.1  # chance: 1 in 100
    with pytest.raises(ValueError, match="at least 100 distinct captions"):
        r_precision(Oracle(), images[:50], captions[:50], captions[:50])


def test_bundled_attribute_classifier_grades_real_scenes():
    rec = record()
    assert rec["test"]["all"] >= 0.9 and rec["unseen"]["all"] >= 0.9, rec
    images, labels, captions = single_shape_scenes("test", 40)
    assert images.shape == (40, 3, 64, 64) and labels.shape == (40, len(ATTRIBUTES)) and len(captions) == 40
    scores = accuracy(load_classifier(), images, labels)
    assert scores["position"] >= 0.9 and scores["colour"] >= 0.9
    # scrambled labels are graded wrong: the classifier reads the image, not a constant
    assert accuracy(load_classifier(), images, labels.roll(1, 0))["all"] < 0.3


def test_graded_captions_name_the_size():
    """The attribute metrics grade the size, so each scene's caption must name it where one of the scene's
    captions does (one template leaves it out: the first caption lacks it in about a quarter of scenes)."""
    _, labels, captions = single_shape_scenes("test", 100)
    data = CaptionedShapes("test", length=100, count=1)
    sizes = list(SIZES)
    named = [sizes[int(label[2])] in caption.split() for label, caption in zip(labels, captions, strict=True)]
    can = [any(sizes[int(label[2])] in c.split() for c in data.captions(i)) for i, label in enumerate(labels)]
    first = [sizes[int(label[2])] in data.captions(i)[0].split() for i, label in enumerate(labels)]
    assert named == can and sum(named) >= 98 and sum(first) <= 90
    shape = Shape("circle", "red", "small", 0)
    without = ["a red circle at the top left", "a red circle in the top left"]
    assert graded_caption(without, shape) == without[0]  # none names it: the first, as before
    assert graded_caption([*without, "a small red circle at the top left"], shape).startswith("a small")
