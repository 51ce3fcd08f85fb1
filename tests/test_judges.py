"""The digit judges: a second, independent classifier per domain, each good on real digits of its domain,
and translation figures reported per judge with the lower one as the headline."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import torch

from zoo.data import build_dataset
from zoo.data.fonts import FONTS
from zoo.metrics.judges import JUDGES, LeNet, describe, judge_labels, judge_record, load_judge
from zoo.metrics.translation import digit_accuracy, judged

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "train_second_judges.py"


def _script():
    spec = importlib.util.spec_from_file_location("train_second_judges", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("domain", ["mnist", "fonts"])
def test_each_judge_reads_real_test_digits_of_its_domain_as_recorded(domain):
    test = build_dataset(domain, "test")
    for judge in JUDGES:
        accuracy = digit_accuracy(test.images, test.labels, domain, judge)
        assert accuracy == pytest.approx(judge_record(domain, judge)["test_accuracy"], abs=1e-4)
        assert accuracy >= 0.95, f"{domain} judge {judge} is no judge: {accuracy:.1%} on real digits"


@pytest.mark.parametrize("domain", ["mnist", "fonts"])
def test_the_second_judge_is_another_network(domain):
    lenet, cnn = load_judge(domain, "lenet"), load_judge(domain, "cnn")
    assert isinstance(lenet, LeNet) and not isinstance(cnn, LeNet)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in lenet.modules())
    assert f"lenet_{domain}.safetensors" in describe(domain)
    assert judge_record(domain, "lenet")["seed"] != judge_record(domain, "cnn")["seed"]


def test_the_font_judge_never_saw_the_first_judges_fonts():
    script = _script()
    assert not set(script.UNSEEN_FONTS) & set(FONTS)
    images, labels = script.render_fonts()
    assert images.shape == (len(script.UNSEEN_FONTS) * 10 * len(script.STROKES), 1, 32, 32)
    assert torch.bincount(labels).tolist() == [len(images) // 10] * 10
    assert (images.flatten(1).sum(1) > 15).all()  # every font drew every digit


def test_the_headline_is_the_lower_judge_with_its_baseline():
    mnist, fonts = build_dataset("mnist", "test"), build_dataset("fonts", "test")
    sets = {"accuracy": (mnist.images, mnist.labels), "classifier_accuracy": (fonts.images, fonts.labels)}
    scores = judged("fonts", sets)  # handwriting read by the font judges: they disagree
    assert set(scores) == {f"{name}{judge}" for name in sets for judge in ("", "_cnn", "_lenet")}
    low = min(JUDGES, key=lambda judge: scores[f"accuracy_{judge}"])
    assert scores["accuracy_cnn"] != scores["accuracy_lenet"]
    assert (
        scores["accuracy"]
        == scores[f"accuracy_{low}"]
        == min(scores["accuracy_cnn"], scores["accuracy_lenet"])
    )
    assert scores["classifier_accuracy"] == scores[f"classifier_accuracy_{low}"]


def test_unknown_judge_is_refused():
    with pytest.raises(ValueError, match="no digit judge 'vit'"):
        judge_labels(torch.zeros(1, 1, 32, 32), "mnist", "vit")
