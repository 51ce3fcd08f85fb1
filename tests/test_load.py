"""``zoo.load`` of registry entries: weights source order, sha256 on every load, offline use, bad files."""

from __future__ import annotations

import logging
import shutil
import time

import pytest
import torch
from conftest import HUB_TOKEN
from hubserver import set_offline
from zoo_plugins.dcgan.networks import DCGAN
from zoo_plugins.gan.networks import VanillaGAN

import zoo
from zoo.errors import HubError, RegistryError, UnknownModelError, WeightsError
from zoo.hub_download import download
from zoo.weights import save_weights, sha256_of

TINY = {"latent_dim": 100, "resolution": 32, "channels": 1, "width": 8}


def same_outputs(model, reference) -> bool:
    return torch.equal(model.generate(4, seed=0), reference.generate(4, seed=0))


@pytest.fixture
def published(hub, make_run, tmp_path):
    """Tiny DCGAN weights published as me/tiny: (commit sha, the model, a bundled copy of the file)."""
    run, model = make_run(seed=1)
    sha = zoo.publish(run, "me/tiny", token=HUB_TOKEN)
    bundled = tmp_path / "bundled" / "tiny.safetensors"
    bundled.parent.mkdir()
    shutil.copy(run / "model.safetensors", bundled)
    return sha, model, bundled


def entry(sha: str | None, weights_file, repo: str | None = "me/tiny", bundled=None, **weights) -> dict:
    fields = {"repo": repo, "revision": sha, "file": "model.safetensors", "sha256": sha256_of(weights_file)}
    fields.update(bundled=str(bundled) if bundled else None, **weights)
    return {"variant": "dcgan", "config": TINY, "weights": {k: v for k, v in fields.items() if v is not None}}


def test_the_hub_then_the_cache_with_the_sha256_checked(published, catalogue, hub, caplog):
    sha, model, copy = published
    catalogue(tiny=entry(sha, copy))
    caplog.set_level(logging.INFO, logger="zoo")
    assert same_outputs(zoo.load("tiny"), model)
    assert (
        f"tiny: model.safetensors of me/tiny@{sha} downloaded from {hub.url} (sha256 verified)" in caplog.text
    )
    hub.requests.clear()
    caplog.clear()
    loaded = zoo.load("test-catalogue:tiny")  # the plugin that registered it
    assert hub.requests == []  # pinned and cached: no network at all
    assert "found in the Hugging Face cache (sha256 verified)" in caplog.text
    assert same_outputs(loaded, model) and not loaded.training


def test_the_hub_comes_before_the_bundled_file(published, catalogue, tmp_path, caplog):
    sha, model, copy = published
    other = tmp_path / "other.safetensors"
    save_weights(DCGAN(**TINY), other)
    # the bundled file does not match the registry's sha256: loading succeeds only if it is not used
    catalogue(tiny=entry(sha, copy, bundled=other))
    caplog.set_level(logging.INFO, logger="zoo")
    assert same_outputs(zoo.load("tiny"), model)
    assert "bundled" not in caplog.text


def test_an_explicit_path_comes_first(published, catalogue, hub, tmp_path, caplog):
    sha, _, copy = published
    catalogue(tiny=entry(sha, copy, bundled=copy))
    mine = DCGAN(**TINY).eval()
    save_weights(mine, tmp_path / "mine.safetensors")
    hub.requests.clear()
    caplog.set_level(logging.INFO, logger="zoo")
    assert same_outputs(zoo.load("tiny", weights=tmp_path / "mine.safetensors"), mine)
    assert hub.requests == []
    assert f"tiny: weights from the explicit path {tmp_path / 'mine.safetensors'}" in caplog.text


def test_bundled_default_when_offline_and_not_cached(published, catalogue, monkeypatch, caplog):
    sha, model, copy = published
    catalogue(tiny=entry(sha, copy, bundled=copy))
    set_offline(monkeypatch)
    caplog.set_level(logging.INFO, logger="zoo")
    assert same_outputs(zoo.load("tiny"), model)
    assert f"tiny: weights from the bundled default {copy}" in caplog.text
    assert "HF_HUB_OFFLINE is set" in caplog.text


def test_bundled_default_soon_when_the_hub_is_unreachable(published, catalogue, hub, caplog):
    sha, model, copy = published
    catalogue(tiny=entry(sha, copy, bundled=copy))
    hub.stop()
    caplog.set_level(logging.INFO, logger="zoo")
    start = time.perf_counter()
    assert same_outputs(zoo.load("tiny"), model)
    assert time.perf_counter() - start < 10  # huggingface_hub alone retries for ~23 s before giving up
    assert "cannot be reached" in caplog.text and "bundled default" in caplog.text


def test_only_bundled(catalogue, tmp_path, caplog):
    model = DCGAN(**TINY).eval()
    save_weights(model, tmp_path / "w.safetensors")
    catalogue(tiny=entry(None, tmp_path / "w.safetensors", repo=None, bundled=tmp_path / "w.safetensors"))
    caplog.set_level(logging.INFO, logger="zoo")
    assert same_outputs(zoo.load("tiny"), model)
    assert "the registry names no Hub repo" in caplog.text
    assert download("tiny") == tmp_path / "w.safetensors"


def test_download_then_offline(published, catalogue, monkeypatch, caplog):
    sha, model, copy = published
    catalogue(tiny=entry(sha, copy))
    path = download("tiny")
    assert sha256_of(path) == sha256_of(copy)
    set_offline(monkeypatch)
    caplog.set_level(logging.INFO, logger="zoo")
    assert same_outputs(zoo.load("tiny"), model)
    assert "found in the Hugging Face cache (sha256 verified)" in caplog.text


def test_offline_not_cached_and_nothing_bundled(published, catalogue, monkeypatch):
    sha, _, copy = published
    catalogue(tiny=entry(sha, copy))
    set_offline(monkeypatch)
    with pytest.raises(
        HubError, match=r"not in the Hugging Face cache.*`zoo download tiny`.*unset HF_HUB_OFFLINE"
    ):
        zoo.load("tiny")


def test_corrupted_download_is_refused_never_replaced_by_the_bundled_file(published, catalogue, hub):
    sha, _, copy = published
    catalogue(tiny=entry(sha, copy, bundled=copy))
    hub.corrupt("me/tiny", "model.safetensors")
    with pytest.raises(WeightsError, match=rf"has sha256 \w+, expected {sha256_of(copy)}.*zoo download tiny"):
        zoo.load("tiny")
    with pytest.raises(WeightsError, match="sha256"):  # and on every later load, from the cache
        zoo.load("tiny")


def test_wrong_sha256_in_the_registry(published, catalogue):
    sha, _, copy = published
    catalogue(tiny=entry(sha, copy, sha256="0" * 64))
    with pytest.raises(WeightsError, match="expected 0000"):
        zoo.load("tiny")


def test_a_bundled_file_is_checked_too(catalogue, tmp_path):
    save_weights(DCGAN(**TINY), tmp_path / "w.safetensors")
    catalogue(tiny=entry(None, tmp_path / "w.safetensors", repo=None, bundled=tmp_path / "w.safetensors"))
    save_weights(DCGAN(**TINY), tmp_path / "w.safetensors")  # swapped after the registry was written
    with pytest.raises(WeightsError, match="sha256"):
        zoo.load("tiny")


def test_another_revision_is_checked_against_the_hub(published, catalogue, make_run):
    sha, model, copy = published
    run, newer = make_run(seed=5, name="newer")
    second = zoo.publish(run, "me/tiny", token=HUB_TOKEN)
    catalogue(tiny=entry(sha, copy))
    assert same_outputs(zoo.load("tiny"), model)
    assert same_outputs(zoo.load("tiny", revision=second), newer)


def test_bad_weights_files(tmp_path):
    good = tmp_path / "good.safetensors"
    save_weights(DCGAN(**TINY), good)
    data = good.read_bytes()
    (tmp_path / "truncated.safetensors").write_bytes(data[: len(data) // 2])
    (tmp_path / "garbage.safetensors").write_bytes(b"not weights at all" * 100)
    torch.save(DCGAN(**TINY).state_dict(), tmp_path / "checkpoint.pt")
    save_weights(DCGAN(**{**TINY, "width": 16}), tmp_path / "wide.safetensors")
    save_weights(VanillaGAN(), tmp_path / "mlp.safetensors")
    cases = {
        "truncated.safetensors": "truncated or corrupted",
        "garbage.safetensors": "not a readable safetensors file",
        "checkpoint.pt": "pickled PyTorch checkpoint",
        "wide.safetensors": r"wrong shape \(28\): discriminator.main.0.weight: file \(16, 1, 4, 4\) vs",
        "mlp.safetensors": r"missing \(\d+\): discriminator.main.0.weight.*unexpected \(\d+\): disc",
        "absent.safetensors": "does not exist",
    }
    for name, message in cases.items():
        with pytest.raises(WeightsError, match=message):
            zoo.load("dcgan", weights=tmp_path / name, **TINY)


def test_names_aliases_and_config(catalogue, tmp_path):
    catalogue(tiny={"variant": "dcgan", "config": TINY})
    with pytest.raises(WeightsError, match="no pretrained weights.*pretrained=False"):
        zoo.load("tiny")
    model = zoo.load("tiny", pretrained=False, width=4)
    assert model.config["width"] == 4 and not model.training
    alias = zoo.load("dcgan", pretrained=False)  # a variant's name: its default model
    assert zoo.info("dcgan")["config"].items() <= alias.config.items()
    with pytest.raises(UnknownModelError, match="Did you mean 'tiny'"):
        zoo.load("tinyy")
    with pytest.raises(RegistryError, match="does not fit DCGAN"):
        zoo.load("tiny", pretrained=False, depth=3)


def test_device_and_dtype(catalogue):
    catalogue(tiny={"variant": "dcgan", "config": TINY})
    model = zoo.load("tiny", pretrained=False, dtype="float64", device="cpu")
    assert {p.dtype for p in model.parameters()} == {torch.float64} and model.device.type == "cpu"
    assert zoo.load("tiny", pretrained=False, dtype=torch.bfloat16).generate(2, seed=0).shape == (
        2,
        1,
        32,
        32,
    )
    with pytest.raises(ValueError, match="not a torch dtype"):
        zoo.load("tiny", pretrained=False, dtype="float77")


def test_run_directory(make_run, monkeypatch, caplog):
    run, model = make_run()
    caplog.set_level(logging.INFO, logger="zoo")
    assert same_outputs(zoo.load(run), model)
    assert "weights from the run directory" in caplog.text
    monkeypatch.chdir(run.parent)
    assert same_outputs(zoo.load("run"), model)  # a bare folder name that is no registry name
    with pytest.raises(HubError, match="applies to Hub models"):
        zoo.load(run, revision="main")
    with pytest.raises(RegistryError, match="is not a run directory"):
        zoo.load(run.parent / "nothing")
    (run / "config.json").write_text('{"variant": "dcgan"}')
    with pytest.raises(RegistryError, match="must hold 'variant'.*'config'"):
        zoo.load(run)
    (run / "config.json").write_text('{"variant": "nope", "plugin": "nope-plugin", "config": {}}')
    with pytest.raises(UnknownModelError, match="needs the variant 'nope' \\(from the plugin 'nope-plugin'"):
        zoo.load(run)
