"""The GANomaly plugin: networks, scoring and its calibration, training runs, validation folders, the CLI,
and the bundled ganomaly-mnist entry re-evaluated on the test split."""

from __future__ import annotations

import json
import warnings

import pytest
import torch
from PIL import Image
from safetensors.torch import load_file
from zoo_plugins.ganomaly.model import GANomaly

import zoo
from zoo.cli import main as cli
from zoo.errors import DataError
from zoo.weights import save_weights

TINY = {"latent_dim": 8, "width": 4}


def tiny(**config) -> GANomaly:
    torch.manual_seed(0)
    return GANomaly(**{**TINY, **config}).eval()


def write_images(folder, n: int, size: int, mode: str = "RGB", seed: int = 0) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    gen = torch.Generator().manual_seed(seed)
    channels = 3 if mode == "RGB" else 1
    for i in range(n):
        pixels = (torch.rand(size, size, channels, generator=gen) * 255).to(torch.uint8).squeeze(-1).numpy()
        Image.fromarray(pixels).save(folder / f"{i:02d}.png")


def tiny_recipe(tmp_path, **fields) -> dict:
    spec = {"name": "mnist_oneclass", "anomaly": 3}
    return {
        "variant": "ganomaly",
        "model": {"resolution": 32, "channels": 1, **TINY},
        "data": spec,
        "validation": spec,
        "batch_size": 16,
        "steps": 4,
        "log_every": 2,
        "sample_every": 2,
        "checkpoint_every": 2,
        "out": str(tmp_path / "run"),
        **fields,
    }


@pytest.fixture(scope="module")
def mnist_run(tmp_path_factory):
    """A tiny GANomaly trained for 4 steps on mnist_oneclass (digit 3 held out), calibrated on validation."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return zoo.train(tiny_recipe(tmp_path_factory.mktemp("ganomaly")))
    finally:
        torch.set_num_threads(before)


# ------------------------------------------------------------------------------------------ networks
@pytest.mark.parametrize("resolution", [32, 64])
@pytest.mark.parametrize("channels", [1, 3])
def test_network_shapes(resolution, channels):
    model = tiny(resolution=resolution, channels=channels)
    x = torch.rand(2, channels, resolution, resolution) * 2 - 1
    fake, z, z_hat = model.generator(x)
    assert fake.shape == x.shape and z.shape == z_hat.shape == (2, 8)
    logits, features = model.discriminator(x)
    assert logits.shape == (2,) and features.shape[-2:] == (4, 4)
    assert model.raw_scores(x / 2 + 0.5).shape == (2,)


def test_autoencoder_baseline_has_no_discriminator_or_reencoder():
    model = tiny(adversarial=False)
    assert model.discriminator is None and model.generator.reencoder is None
    assert model.optimized == ("generator",)
    x = torch.rand(3, 3, 32, 32)
    fake = model.generator(model.normalize(x))[0]
    expected = (model.denormalize(fake) * 2 - 1 - model.normalize(x)).pow(2).flatten(1).mean(1)
    torch.testing.assert_close(model.raw_scores(x), expected, atol=1e-5, rtol=1e-4)


def test_bad_sizes_and_channels_are_errors():
    with pytest.raises(ValueError, match="power of two"):
        GANomaly(resolution=48)
    with pytest.raises(ValueError, match="1 .grey. or 3 .RGB."):
        GANomaly(channels=2)


# ------------------------------------------------------------------------------------------- scoring
def test_uncalibrated_model_refuses_to_score_but_gives_raw_scores():
    model = tiny()
    x = torch.rand(4, 3, 32, 32)
    assert not model.calibrated
    assert model.raw_scores(x).shape == (4,)
    with pytest.raises(ValueError, match="no validation calibration"):
        model.score(x)
    with pytest.raises(ValueError, match="--validation"):
        model.is_anomaly(x)


def test_calibration_normalises_and_thresholds():
    model = tiny()
    x = torch.rand(40, 3, 32, 32)
    raw = model.raw_scores(x)
    labels = (raw > raw.median()).long()  # separable by construction: perfect AUROC, no false alarm
    result = model.calibrate(raw, labels)
    assert result["auroc"] == 1.0 and result["tpr"] == 1.0 and result["fpr"] == 0.0
    scores = model.score(x)
    assert scores.min().item() == pytest.approx(0.0, abs=1e-6)
    assert scores.max().item() == pytest.approx(1.0, abs=1e-6)
    assert torch.equal(scores.argsort(), raw.argsort())  # higher raw score, higher score
    assert torch.equal(model.is_anomaly(x), labels.bool())
    # a one-image call gives one score, the same as in the batch
    assert model.score(x[5]).item() == pytest.approx(scores[5].item(), abs=1e-5)


def test_calibration_needs_both_kinds_of_label():
    model = tiny()
    raw = model.raw_scores(torch.rand(6, 3, 32, 32))
    with pytest.raises(ValueError, match="both normal"):
        model.calibrate(raw, torch.zeros(6))
    assert not model.calibrated


def test_threshold_lives_in_safetensors_and_reloads(tmp_path):
    model = tiny()
    x = torch.rand(20, 3, 32, 32)
    raw = model.raw_scores(x)
    model.calibrate(raw, (raw > raw.median()).long())
    run = tmp_path / "run"
    run.mkdir()
    save_weights(model, run / "model.safetensors")
    (run / "config.json").write_text(json.dumps({"variant": "ganomaly", "config": model.config}))
    state = load_file(str(run / "model.safetensors"))
    for name in ("score_min", "score_max", "threshold"):
        assert state[name].item() == pytest.approx(getattr(model, name).item())
    loaded = zoo.load(run)
    assert loaded.calibrated and loaded.threshold.item() == pytest.approx(model.threshold.item())
    torch.testing.assert_close(loaded.score(x), model.score(x))


def test_wrong_size_is_resized_with_a_warning_and_wrong_channels_are_an_error(tmp_path):
    model = tiny(channels=1)
    with pytest.warns(UserWarning, match="40x40.*resizing"):
        raw = model.raw_scores(torch.rand(2, 1, 40, 40))
    assert raw.shape == (2,)
    with pytest.raises(ValueError, match="C=1"):
        model.raw_scores(torch.rand(2, 3, 32, 32))
    write_images(tmp_path, 2, 32, mode="RGB")  # PIL images and paths are converted to the model's mode
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert model.raw_scores([tmp_path / "00.png", Image.open(tmp_path / "01.png")]).shape == (2,)


# -------------------------------------------------------------------------------------------- training
def test_training_writes_a_calibrated_run(mnist_run):
    for name in ("config.json", "model.safetensors", "checkpoint.pt", "metrics.jsonl", "eval.json"):
        assert (mnist_run / name).is_file(), name
    assert (mnist_run / "samples" / "latest.png").is_file()
    record = json.loads((mnist_run / "eval.json").read_text())
    assert record["step"] == 4 and 0.0 <= record["auroc"] <= 1.0
    assert (record["n_normal"], record["n_anomalous"]) == (720, 80)
    logged = [json.loads(line) for line in (mnist_run / "metrics.jsonl").read_text().splitlines()]
    assert {"loss_adv", "loss_con", "loss_enc", "loss_d"} <= set(logged[-1])
    model = zoo.load(mnist_run)
    assert model.calibrated and model.threshold.item() == pytest.approx(record["threshold"])


@pytest.mark.parametrize("adversarial", [True, False])
def test_conformance_kit(adversarial, tmp_path, single_thread):
    from zoo.testing import check_variant

    model = {"resolution": 32, "channels": 1, **TINY, "adversarial": adversarial}
    data = {"name": "mnist_oneclass", "anomaly": 3}  # validation calibrates the threshold score() needs
    run = check_variant("ganomaly", model, data, tmp_path / "runs", recipe={"validation": data})
    assert (run / "samples" / "latest.png").is_file()


def test_oneclass_splits_hold_out_the_digit():
    from zoo.data import build_dataset

    spec = {"name": "mnist_oneclass", "anomaly": 7}
    train, val, test = (build_dataset(spec, s) for s in ("train", "validation", "test"))
    assert train.labels.sum() == 0 and 7 not in train.digits
    assert (len(train), len(val), int(val.labels.sum())) == (2880, 800, 80)
    assert (len(test), int(test.labels.sum())) == (1000, 100)
    with pytest.raises(DataError, match="anomaly"):
        build_dataset({"name": "mnist_oneclass", "anomaly": 10})


def test_folder_training_with_validation_folder_via_cli(tmp_path, single_thread, capsys):
    write_images(tmp_path / "train", 16, 32)
    write_images(tmp_path / "val" / "good", 4, 40, seed=1)  # another size: read at the model's size
    write_images(tmp_path / "val" / "anomaly" / "crack", 4, 40, seed=2)
    args = ["train", "ganomaly", "--data", str(tmp_path / "train"), "--validation", str(tmp_path / "val")]
    args += ["--out", str(tmp_path / "run"), "--steps", "2", "--batch-size", "8"]
    args += ["--set", "model.width=4", "--set", "model.latent_dim=8", "--set", "checkpoint_every=1"]
    assert cli(args) == 0
    record = json.loads((tmp_path / "run" / "eval.json").read_text())
    assert (record["n_normal"], record["n_anomalous"]) == (4, 4)
    assert zoo.load(tmp_path / "run").calibrated


@pytest.mark.parametrize(
    "layout, message",
    [({"good": 2}, "no anomaly/ subfolder"), ({"good": 0, "anomaly": 2}, "good holds no images")],
)
def test_bad_validation_folder_fails_before_training(tmp_path, single_thread, layout, message):
    write_images(tmp_path / "train", 8, 32)
    for name, n in layout.items():
        (tmp_path / "val" / name).mkdir(parents=True)
        write_images(tmp_path / "val" / name, n, 32)
    recipe = {"variant": "ganomaly", "model": TINY, "data": str(tmp_path / "train")}
    recipe.update(validation=str(tmp_path / "val"), steps=2, batch_size=4, out=str(tmp_path / "run"))
    with pytest.raises(DataError, match=message):
        zoo.train(recipe)
    assert not (tmp_path / "run").exists()  # nothing written, not even an empty run directory


def test_training_data_of_another_shape_is_a_clear_error(tmp_path, single_thread):
    write_images(tmp_path / "train", 4, 64)
    data = {"name": "folder", "path": str(tmp_path / "train")}  # a bare folder is resized to fit instead
    recipe = {"variant": "ganomaly", "model": {**TINY, "resolution": 32}, "data": data, "steps": 1}
    with pytest.raises(DataError, match=r"\(3, 64, 64\) but the model takes \(3, 32, 32\)"):
        zoo.train({**recipe, "out": str(tmp_path / "run")})


# ------------------------------------------------------------------------------------------------ CLI
def test_cli_scores_a_folder_to_csv(mnist_run, tmp_path):
    write_images(tmp_path / "imgs", 5, 32, mode="L")
    write_images(tmp_path / "imgs" / "sub", 2, 32, mode="L", seed=3)
    out = tmp_path / "scores.csv"
    assert cli(["run", str(mnist_run), str(tmp_path / "imgs"), "--out", str(out)]) == 0
    lines = out.read_text().splitlines()
    assert lines[0] == "path,score,is_anomaly" and len(lines) == 8
    model = zoo.load(mnist_run)
    path, score, flag = lines[1].split(",")
    expected = model.score(path).item()
    assert float(score) == pytest.approx(expected, rel=1e-4, abs=1e-5)
    assert int(flag) == int(expected >= model.threshold.item())


def test_cli_failing_score_run_leaves_no_csv(tmp_path, single_thread):
    model = tiny(channels=1)  # uncalibrated: score() refuses
    run = tmp_path / "run"
    run.mkdir()
    save_weights(model, run / "model.safetensors")
    (run / "config.json").write_text(json.dumps({"variant": "ganomaly", "config": model.config}))
    write_images(tmp_path / "imgs", 3, 32, mode="L")
    out = tmp_path / "out" / "scores.csv"
    assert cli(["run", str(run), str(tmp_path / "imgs"), "--out", str(out)]) == 2
    assert not out.exists() and list((tmp_path / "out").iterdir()) == []
    assert cli(["run", str(run), str(tmp_path / "imgs"), "--out", str(tmp_path / "grid.png")]) == 2


# ----------------------------------------------------------------------------------- bundled entry
def test_bundled_entry_reproduces_its_registry_auroc_and_beats_the_autoencoder():
    from zoo.metrics.report import evaluate_target

    metrics = zoo.info("ganomaly-mnist")["metrics"]
    measured = evaluate_target("ganomaly-mnist")
    assert measured["data"] == {"name": "mnist_oneclass", "anomaly": 3}
    for key in ("auroc", "tpr", "fpr", "validation_auroc"):
        assert measured[key] == pytest.approx(metrics[key], abs=1e-4), key
    assert measured["auroc"] > metrics["baselines"]["autoencoder"]["auroc"] > 0.5
