"""zoo.metrics: Fréchet distance, class and mode coverage, the bundled classifier, evaluate, its command."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from zoo.data import MIXTURES, build_dataset
from zoo.errors import WeightsError
from zoo.metrics import class_shares, evaluate, frechet_distance, mode_coverage
from zoo.metrics.classifier import WEIGHTS, DigitClassifier, features_and_labels, load_classifier, record
from zoo.metrics.frechet import frechet_from_stats
from zoo.weights import load_weights


class Replay(torch.nn.Module):
    """A stand-in generator that draws its samples (seeded, with replacement) from a fixed tensor."""

    def __init__(self, samples: torch.Tensor) -> None:
        super().__init__()
        self.samples = samples
        self.scale = torch.nn.Parameter(torch.ones(()))

    def generate(self, n: int, seed: int | None = None) -> torch.Tensor:
        assert not self.training, "evaluate must sample in eval mode"
        gen = torch.Generator().manual_seed(seed)
        return self.samples[torch.randint(len(self.samples), (n,), generator=gen)] * self.scale


@pytest.fixture(scope="module")
def digits() -> dict[str, torch.Tensor]:
    train, test = build_dataset("mnist", "train"), build_dataset("mnist", "test")
    return {"train": train.images, "test": test.images, "test_labels": test.labels}


# --- Fréchet distance ---------------------------------------------------------------------------


def test_frechet_matches_closed_form_for_diagonal_gaussians():
    rng = np.random.default_rng(0)
    mu1, mu2 = rng.normal(size=6), rng.normal(size=6)
    v1, v2 = rng.uniform(0.5, 2, 6), rng.uniform(0.5, 2, 6)
    expected = ((mu1 - mu2) ** 2).sum() + ((np.sqrt(v1) - np.sqrt(v2)) ** 2).sum()
    assert frechet_from_stats(mu1, np.diag(v1), mu2, np.diag(v2)) == pytest.approx(expected, rel=1e-9)


def test_frechet_of_a_set_with_itself_is_zero_and_grows_with_a_shift():
    x = torch.randn(2000, 32, generator=torch.Generator().manual_seed(0))
    assert frechet_distance(x, x) == pytest.approx(0, abs=1e-8)
    shifted = [frechet_distance(x, x + s) for s in (0.1, 0.5, 1.0)]
    assert shifted == pytest.approx([32 * s**2 for s in (0.1, 0.5, 1.0)], rel=1e-6)  # |shift|^2, covs equal
    assert frechet_distance(x, x * 2) > 10


def test_frechet_is_stable_for_rank_deficient_covariances():
    x = torch.randn(50, 128, generator=torch.Generator().manual_seed(1))  # fewer samples than dimensions
    d = frechet_distance(x, x.flip(0))
    assert np.isfinite(d) and d == pytest.approx(0, abs=1e-6)


def test_frechet_rejects_bad_features():
    with pytest.raises(ValueError, match="N >= 2"):
        frechet_distance(torch.zeros(1, 4), torch.zeros(5, 4))
    with pytest.raises(ValueError, match="non-finite"):
        frechet_distance(torch.full((5, 4), float("nan")), torch.zeros(5, 4))


# --- the bundled classifier -----------------------------------------------------------------------


def test_bundled_classifier_has_its_recorded_test_accuracy(digits):
    _, labels = features_and_labels(digits["test"])
    accuracy = (labels == digits["test_labels"]).double().mean().item()
    assert accuracy == pytest.approx(record()["test_accuracy"], abs=1e-4)
    assert accuracy > 0.97


def test_bundled_classifier_is_checked_against_its_sha256(tmp_path):
    assert load_classifier().training is False
    swapped = tmp_path / "swapped.safetensors"
    swapped.write_bytes(WEIGHTS.read_bytes()[:-4] + b"\0\0\0\0")
    with pytest.raises(WeightsError, match="sha256"):
        load_weights(DigitClassifier(), swapped, sha256=record()["sha256"])


def test_classifier_rejects_non_digit_images():
    with pytest.raises(ValueError, match="grey images"):
        features_and_labels(torch.rand(2, 3, 32, 32))
    with pytest.raises(ValueError, match="28x28 or 32x32"):
        features_and_labels(torch.rand(2, 1, 64, 64))


def test_class_shares_of_real_test_digits_are_about_ten_percent(digits):
    shares = class_shares(features_and_labels(digits["test"])[1])
    assert shares.sum().item() == pytest.approx(1)
    assert shares.min() >= 0.08 and shares.max() <= 0.12


# --- mode coverage ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(MIXTURES))
def test_exact_mixture_samples_cover_every_mode(name):
    mixture = MIXTURES[name]
    points = build_dataset(name, "test").points[:2500]
    modes, high_quality = mode_coverage(points, mixture.means_tensor(), mixture.std)
    assert modes == len(mixture.means) and high_quality > 0.95


def test_collapsed_and_off_mode_samples():
    mixture = MIXTURES["gaussians25"]
    means = mixture.means_tensor()
    assert mode_coverage(means[7].expand(2500, 2), means, mixture.std) == (1, 1.0)
    between = torch.full((100, 2), 1.0)  # equidistant from four modes, far from all
    assert mode_coverage(between, means, mixture.std) == (0, 0.0)


def test_evaluate_on_a_mixture_uses_the_protocol_sample_count():
    mixture = MIXTURES["gaussians25"]
    collapsed = Replay(mixture.means_tensor()[:3] + 0.01)
    result = evaluate(collapsed, "gaussians25")
    assert result == {"modes": 3, "modes_total": 25, "high_quality": 1.0, "n": 2500}


# --- evaluate on digits ------------------------------------------------------------------------------


def test_evaluate_real_digits_sit_near_the_floor_and_noise_far_above(digits):
    real = Replay(digits["train"]).train()
    result = evaluate(real, "mnist", n=1000, seed=0)
    assert real.training, "evaluate must restore the model's train/eval mode"
    assert set(result) == {"fd", "fd_floor", "fd_ratio", "class_min", "class_max", "classifier_accuracy", "n"}
    assert result["fd_floor"] > 0 and result["n"] == 1000
    assert result["fd_ratio"] == pytest.approx(result["fd"] / result["fd_floor"])
    assert result["fd_ratio"] < 3
    assert 0.07 < result["class_min"] <= result["class_max"] < 0.14
    assert result["classifier_accuracy"] == record()["test_accuracy"]

    noise = Replay(torch.rand(100, 1, 32, 32, generator=torch.Generator().manual_seed(0)))
    assert evaluate(noise, "mnist", n=500)["fd_ratio"] > 100
    ones = evaluate(Replay(digits["train"][build_dataset("mnist").labels == 1]), "mnist", n=500)
    assert ones["class_min"] == 0 and ones["class_max"] > 0.9 and ones["fd_ratio"] > 30


def test_evaluate_pads_28px_samples_like_the_32px_data(digits):
    full = evaluate(Replay(digits["train"]), "mnist", n=200)
    cropped = evaluate(Replay(digits["train"][:, :, 2:30, 2:30]), {"name": "mnist", "size": 28}, n=200)
    assert cropped == pytest.approx(full)


def test_evaluate_rejects_datasets_without_metrics_and_too_many_samples(digits):
    with pytest.raises(ValueError, match="no quality metrics"):
        evaluate(Replay(digits["train"]), {"name": "folder", "path": "x"})
    with pytest.raises(ValueError, match="train-split digits"):
        evaluate(Replay(digits["train"]), "mnist", n=5000)


# --- the evaluation command ------------------------------------------------------------------------


def test_evaluate_command_on_a_run_directory(tmp_path, capsys):
    from zoo_plugins.gan.networks import VanillaGAN

    from zoo.cli import main
    from zoo.weights import save_weights

    config = {"latent_dim": 4, "hidden": [8], "out_shape": [2], "output": "linear"}
    torch.manual_seed(0)
    save_weights(VanillaGAN(**config), tmp_path / "run" / "model.safetensors")
    run_config = {"variant": "gan", "plugin": "gan", "config": config, "recipe": {"data": "gaussians8"}}
    (tmp_path / "run" / "config.json").write_text(json.dumps(run_config))

    out = tmp_path / "eval.json"
    assert main(["-q", "evaluate", str(tmp_path / "run"), "--n", "500", "--json", str(out)]) == 0
    written = json.loads(out.read_text())
    assert json.loads(capsys.readouterr().out) == written
    assert written["n"] == 500 and written["modes_total"] == 8 and written["data"] == "gaussians8"
    assert (
        0 <= written["modes"] <= 8
        and "VEEGAN/PacGAN" in written["protocol"]
        and "500 samples" in written["protocol"]
    )
    assert written["command"] == f"zoo -q evaluate {tmp_path / 'run'} --n 500 --json {out}"
    # --data overrides the run's dataset; the suite has no metrics for a folder of images
    assert main(["evaluate", str(tmp_path / "run"), "--data", "{name: folder, path: x}"]) == 2
    assert "no quality metrics are defined" in capsys.readouterr().err


def test_evaluate_command_finds_the_training_data_of_registry_models_and_runs(tmp_path):
    from zoo.metrics.report import recipe_data

    assert recipe_data("dcgan-mnist") == "mnist"
    assert recipe_data("gan-mnist") == {"name": "mnist", "size": 28}
    (tmp_path / "config.json").write_text(json.dumps({"variant": "gan", "config": {}, "recipe": {}}))
    assert recipe_data(str(tmp_path)) is None
    assert recipe_data("hf-hub:me/dcgan-mnist") is None


def test_evaluate_without_known_training_data_asks_for_data(tmp_path, capsys):
    from zoo_plugins.gan.networks import VanillaGAN

    from zoo.cli import main
    from zoo.weights import save_weights

    config = {"latent_dim": 4, "hidden": [8], "out_shape": [2], "output": "linear"}
    save_weights(VanillaGAN(**config), tmp_path / "model.safetensors")
    (tmp_path / "config.json").write_text(json.dumps({"variant": "gan", "config": config, "recipe": {}}))
    assert main(["-q", "evaluate", str(tmp_path)]) == 2
    assert "names no training data to evaluate on: pass --data" in capsys.readouterr().err
