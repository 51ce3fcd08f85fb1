"""The ``edges2digits`` pairs (Canny-like edges of MNIST digits) and their translation metric."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from zoo.data import build_dataset
from zoo.data.edges import canny
from zoo.metrics import evaluate, protocol
from zoo.metrics.judges import JUDGES, judge_record
from zoo.metrics.translation import translation_scores


class Oracle(torch.nn.Module):
    """A stand-in translator that answers each known input with its paired target (or the input itself)."""

    def __init__(self, pairs, echo: bool = False) -> None:
        super().__init__()
        self.answers = {pairs[i]["A"].numpy().tobytes(): pairs[i]["B"] for i in range(len(pairs))}
        self.echo = echo
        self.calls = 0

    def translate(self, x: torch.Tensor) -> torch.Tensor:
        assert not self.training, "the metric must translate in eval mode"
        self.calls += 1
        return x.clone() if self.echo else torch.stack([self.answers[a.numpy().tobytes()] for a in x])


@pytest.fixture(scope="module")
def test_pairs():
    return build_dataset("edges2digits", "test")


def test_canny_outlines_a_square():
    image = torch.zeros(1, 1, 32, 32)
    image[..., 8:24, 8:24] = 1
    edges = canny(image)[0, 0]
    assert set(edges.unique().tolist()) == {0.0, 1.0}
    assert (
        edges[12:20, 12:20].sum() == 0 and edges[:4].sum() == 0 and edges[:, 28:].sum() == 0
    )  # not inside/far
    for side in (edges[6:10, 10:22], edges[22:26, 10:22], edges[10:22, 6:10], edges[10:22, 22:26]):
        assert side.sum() >= 12  # every side of the square is traced
    with pytest.raises(ValueError, match=r"\(N, 1, H, W\)"):
        canny(torch.zeros(32, 32))


def test_pairs_are_edges_of_the_mnist_test_digits(test_pairs):
    mnist = build_dataset("mnist", "test")
    assert len(test_pairs) == len(mnist) == 1000
    item = test_pairs[3]
    assert item["A"].shape == item["B"].shape == (1, 32, 32)
    assert torch.equal(item["B"], mnist[3]["x"]) and item["y"] == mnist[3]["y"]
    edges, digits = test_pairs.edges, test_pairs.digits
    assert set(edges.unique().tolist()) == {0.0, 1.0}
    assert (edges.sum((1, 2, 3)) > 10).all()  # every digit has an outline
    near_ink = F.max_pool2d((digits > 0).float(), 5, 1, 2)
    assert (edges <= near_ink).all()  # edges lie within 2 px of the digit's ink


def test_identity_translation_scores_the_classifiers_own_accuracy(test_pairs):
    edges, digits, labels = test_pairs.edges, test_pairs.digits, test_pairs.labels
    scores = translation_scores(digits, digits, labels, edges)
    for judge in JUDGES:
        assert scores[f"accuracy_{judge}"] == scores[f"classifier_accuracy_{judge}"]
        assert scores[f"accuracy_{judge}"] == pytest.approx(judge_record("mnist", judge)["test_accuracy"])
    assert scores["accuracy"] == min(scores["accuracy_cnn"], scores["accuracy_lenet"])
    assert scores["l1"] == 0 and scores["input_accuracy"] < 0.9  # the raw edges are no digits to them
    some = slice(None, None, 5)  # 200 digits of every class
    blank = translation_scores(torch.zeros_like(digits[some]), digits[some], labels[some], edges[some])
    assert blank["accuracy"] <= 0.2 and blank["l1"] == pytest.approx(digits[some].mean().item())
    with pytest.raises(ValueError, match="differ in shape"):
        translation_scores(digits[:, :, :28, :28], digits, labels, edges)


def test_evaluate_translates_the_test_edges_in_eval_mode(test_pairs):
    perfect = Oracle(test_pairs).train()
    result = evaluate(perfect, "edges2digits", n=300)
    assert perfect.training and perfect.calls == 2  # 300 inputs in batches of 250; mode restored
    assert result["n"] == 300 and result["l1"] == 0 and result["accuracy"] == result["classifier_accuracy"]
    echo = evaluate(Oracle(test_pairs, echo=True), {"name": "edges2digits"}, n=200, seed=1)
    assert echo["n"] == 200 and echo["l1"] > 0.05 and echo["accuracy"] == echo["input_accuracy"] < 0.9
    assert echo["classifier_accuracy"] > 0.9
    with pytest.raises(ValueError, match="1000 test-split pairs"):
        evaluate(perfect, "edges2digits", n=1001)
    assert protocol("edges2digits", 1000, 0).startswith("all 1000 edges2digits test-split edge maps")
    assert "lenet_mnist.safetensors" in protocol("edges2digits", 1000, 0)
    assert "200 (drawn with seed 1) of the 1000" in protocol("edges2digits", 200, 1)
