"""The font digits, ``mnist2font`` unpaired data, the font classifier and the label-preservation metric."""

from __future__ import annotations

import pytest
import torch

from zoo.data import build_dataset
from zoo.data.fonts import FONTS, templates
from zoo.metrics import evaluate, protocol
from zoo.metrics.classifier import features_and_labels, record
from zoo.metrics.judges import judge_record


class Swap(torch.nn.Module):
    """A stand-in translator: echoes its input, or answers with a real digit of the target domain whose
    label is a function of the input's true label (so label preservation is known exactly)."""

    def __init__(self, data, shift: int | None = None) -> None:
        super().__init__()
        self.shift, self.data = shift, data
        self.labels = {
            side: {x.numpy().tobytes(): int(y) for x, y in zip(d.images, d.labels, strict=True)}
            for side, d in (("AtoB", data.a), ("BtoA", data.b))
        }

    def translate(self, x: torch.Tensor, direction: str = "AtoB") -> torch.Tensor:
        assert not self.training, "the metric must translate in eval mode"
        if self.shift is None:
            return x.clone()
        target = self.data.b if direction == "AtoB" else self.data.a
        first = {int(y): i for i, y in reversed(list(enumerate(target.labels)))}
        wanted = [(self.labels[direction][image.numpy().tobytes()] + self.shift) % 10 for image in x]
        return target.images[[first[y] for y in wanted]]


@pytest.fixture(scope="module")
def mnist2font():
    return build_dataset("mnist2font", "test")


def test_every_font_renders_every_digit():
    glyphs = templates()
    assert glyphs.shape == (len(FONTS), 10, 28, 28)
    ink = glyphs.flatten(2).sum(-1)
    assert (ink > 15).all(), "a font drew an empty or near-empty digit"
    # fitted to the 20x20 box: the ink spans 20 pixels in height or width, centred in 28x28
    rows, cols = glyphs.sum(-1) > 0, glyphs.sum(-2) > 0
    span = torch.maximum(rows.sum(-1), cols.sum(-1))
    assert span.min() >= 19 and span.max() <= 21


def test_font_digits_are_balanced_seeded_and_split():
    train, test = build_dataset("fonts", "train"), build_dataset("fonts", "test")
    assert len(train) == 4000 and len(test) == 1000
    assert torch.bincount(test.labels).tolist() == [100] * 10
    per_font = torch.bincount(test.fonts, minlength=len(FONTS))  # in whole groups of the ten digits
    assert per_font.min() > 0 and per_font.max() - per_font.min() <= 10
    again = build_dataset("fonts", "test")
    assert torch.equal(again.images, test.images)
    assert not torch.equal(train.images[:1000], test.images)  # the splits draw different jitter
    assert test.images.shape == (1000, 1, 32, 32) and 0 <= test.images.min() and test.images.max() <= 1


def test_mnist2font_val_split_is_held_out_of_training():
    train, val = (build_dataset({"name": "mnist2font", "holdout": 50}, split) for split in ("train", "val"))
    assert (len(train.a), len(val.a), len(val.b)) == (3500, 500, 500)
    assert torch.bincount(val.b.labels).tolist() == [50] * 10
    seen = {bytes(x.numpy()) for x in train.a.images}
    assert not any(bytes(x.numpy()) in seen for x in val.a.images)
    assert not torch.equal(val.b.images, build_dataset("fonts", "test").images[:500])  # its own jitter seed


def test_mnist2font_items_are_unpaired(mnist2font):
    torch.manual_seed(0)
    partners = {int(mnist2font[0]["y_b"]) for _ in range(20)}
    assert len(partners) > 1  # A's partner is drawn anew each time: nothing pairs the domains
    item = mnist2font[0]
    assert item["A"].shape == item["B"].shape == (1, 32, 32)


def test_mnist2font_jitter_draws_a_fresh_view_of_the_same_digits():
    plain, jittered = build_dataset("mnist2font"), build_dataset({"name": "mnist2font", "jitter": True})
    torch.manual_seed(0)
    item = plain[3]
    assert torch.equal(item["A"], plain.a.images[3])  # off by default: the stored digit itself
    torch.manual_seed(0)
    first = jittered[3]
    torch.manual_seed(1)
    second = jittered[3]
    assert first["y_a"] == second["y_a"] == plain.a.labels[3]
    assert not torch.equal(first["A"], second["A"]) and not torch.equal(first["A"], plain.a.images[3])
    assert 0 <= first["A"].min() and first["A"].max() <= 1 and first["A"].shape == (1, 32, 32)
    ink = plain.a.images[3].sum()  # a small affine move keeps most of the ink
    assert 0.7 * ink < first["A"].sum() < 1.3 * ink


def test_font_classifier_reproduces_its_record():
    test = build_dataset("fonts", "test")
    accuracy = (features_and_labels(test.images, domain="fonts")[1] == test.labels).double().mean().item()
    assert accuracy == pytest.approx(record("fonts")["test_accuracy"], abs=1e-4)


def test_label_preservation_of_doing_nothing_is_the_baseline(mnist2font):
    scores = evaluate(Swap(mnist2font).eval(), "mnist2font")
    for judge in ("", "_cnn", "_lenet"):
        assert scores["accuracy_ab" + judge] == scores["input_accuracy_ab" + judge] < 0.9  # fonts' on MNIST
        assert scores["accuracy_ba" + judge] == scores["input_accuracy_ba" + judge]
    for judge in ("cnn", "lenet"):
        recorded = judge_record("fonts", judge)["test_accuracy"]
        assert scores[f"classifier_accuracy_b_{judge}"] == pytest.approx(recorded)
    assert scores["accuracy_ab"] == min(scores["accuracy_ab_cnn"], scores["accuracy_ab_lenet"])
    text = protocol("mnist2font", 1000, 0)
    assert "font_classifier.safetensors" in text and "lenet_fonts.safetensors" in text


def test_label_preservation_counts_kept_and_changed_digits(mnist2font):
    kept = evaluate(Swap(mnist2font, shift=0).eval(), "mnist2font", n=200, seed=3)
    changed = evaluate(Swap(mnist2font, shift=1).eval(), "mnist2font", n=200)
    assert kept["n"] == 200
    # real target-domain digits of the right class: the classifiers' own accuracy on them
    for judge in ("_cnn", "_lenet"):
        assert kept["accuracy_ab" + judge] > 0.95 and kept["accuracy_ba" + judge] > 0.9
        assert changed["accuracy_ab" + judge] < 0.05 and changed["accuracy_ba" + judge] < 0.1
