"""``zoo.bundle``: a run's tensors that a registry config builds, in the dtype asked, with metadata."""

from __future__ import annotations

import json

import pytest
import torch
from conftest import advance_after_reading_config, as_checkpoint_sets
from safetensors import safe_open
from zoo_plugins.attngan.model import AttnGAN

import zoo
import zoo.bundle
from zoo.bundle import bundle
from zoo.cli import main
from zoo.weights import save_weights, sha256_of

CONFIG = {
    "vocabulary": ["a", "blue", "circle", "red", "square"],
    "embedding_dim": 8,
    "text_dim": 8,
    "image_size": 16,
    "image_width": 4,
    "stages": 2,
    "base_size": 8,
    "ngf": 4,
    "z_dim": 4,
    "cond_dim": 4,
    "residuals": 1,
    "ndf": 4,
}


@pytest.fixture
def run(tmp_path):
    torch.manual_seed(0)
    model = AttnGAN(**CONFIG).eval()
    run = tmp_path / "run"
    run.mkdir()
    save_weights(model, run / "model.safetensors")
    config = {"variant": "attngan", "plugin": "attngan", "config": model.config, "steps": 7}
    (run / "config.json").write_text(json.dumps(config))
    return run, model


def test_bundle_keeps_what_the_config_builds_in_the_dtype_asked(run, tmp_path):
    run, model = run
    out = tmp_path / "w" / "b.safetensors"
    sha = bundle(run, out, {"discriminators": False}, torch.float16, source="a test")
    assert sha == sha256_of(out)
    with safe_open(str(out), "pt") as f:
        keys = set(f.keys())
        assert f.metadata() == {"variant": "attngan", "source": "a test", "steps": "7", "dtype": "float16"}
        tensors = {k: f.get_tensor(k) for k in keys}
    assert keys == {k for k in model.state_dict() if not k.startswith("discriminators.")}
    for key, value in tensors.items():
        original = model.state_dict()[key]
        assert value.dtype == (torch.float16 if original.is_floating_point() else original.dtype), key
        assert torch.allclose(value.to(original.dtype), original, atol=1e-3, rtol=1e-3), key
    small = zoo.load(run, weights=out, discriminators=False)  # loads strictly with the entry's config
    full = zoo.load(run)
    captions = ["a red circle", "a blue square"]
    assert torch.allclose(small.generate(captions, seed=0), full.generate(captions, seed=0), atol=2e-2)


def test_bundle_refuses_a_run_that_lacks_tensors_of_the_config(run, tmp_path, capsys):
    run, _ = run
    assert main(["bundle", str(run), str(tmp_path / "b.safetensors"), "--set", "discriminators=false"]) == 0
    assert json.loads(capsys.readouterr().out)["sha256"] == sha256_of(tmp_path / "b.safetensors")
    (run / "model.safetensors").write_bytes((tmp_path / "b.safetensors").read_bytes())
    with pytest.raises(ValueError, match="lack .* tensors of the model: \\['discriminators"):
        bundle(run, tmp_path / "c.safetensors")  # the run's config still builds discriminators
    assert not (tmp_path / "c.safetensors").exists()
    assert main(["bundle", str(run), str(tmp_path / "c.safetensors"), "--dtype", "float17"]) == 2
    assert "dtype 'float17' is not a torch dtype" in capsys.readouterr().err
    assert main(["bundle", str(run), str(tmp_path / "c.safetensors"), "--entry", "x"]) == 2
    assert "--catalogue YAML and --entry NAME go together" in capsys.readouterr().err
    assert not (tmp_path / "c.safetensors").exists()


CATALOGUE = """# A plugin's catalogue (comments and layout must survive)
models:
  tiny:
    variant: attngan
    # the entry's weights
    weights:
      file: model.safetensors
      sha256: {old}
    recipe: recipes/tiny.yaml
  other:
    variant: attngan
    weights:
      bundled: weights/other.safetensors
"""


def test_bundle_records_the_file_and_its_sha256_in_the_catalogue_entry(run, tmp_path):
    run, _ = run
    catalogue = tmp_path / "plugin" / "models.yaml"
    catalogue.parent.mkdir()
    catalogue.write_text(CATALOGUE.format(old="0" * 64))
    out = catalogue.parent / "weights" / "tiny.safetensors"
    sha = bundle(run, out, {"discriminators": False}, catalogue=catalogue, entry="tiny")
    text = catalogue.read_text()
    assert text == CATALOGUE.format(old=sha).replace(
        f"      sha256: {sha}\n", f"      sha256: {sha}\n      bundled: weights/tiny.safetensors\n"
    )
    (entry,) = zoo.models_from_yaml(catalogue, ["attngan"])[:1]
    assert (entry.weights.bundled, entry.weights.sha256) == (str(out), sha)


@pytest.mark.parametrize(
    ("entry", "where", "message"),
    [
        ("missing", "plugin/w.safetensors", "has no model 'missing'"),
        ("tiny", "elsewhere/w.safetensors", "outside"),
    ],
)
def test_bundle_refuses_what_the_catalogue_cannot_record_before_writing(run, tmp_path, entry, where, message):
    run, _ = run
    catalogue = tmp_path / "plugin" / "models.yaml"
    catalogue.parent.mkdir()
    catalogue.write_text(CATALOGUE.format(old="0" * 64))
    with pytest.raises(zoo.errors.WeightsError, match=message):
        bundle(run, tmp_path / where, {"discriminators": False}, catalogue=catalogue, entry=entry)
    assert catalogue.read_text() == CATALOGUE.format(old="0" * 64)
    assert not (tmp_path / where).exists()


def test_bundle_takes_one_checkpoints_files_while_the_run_writes_the_next(tmp_path, monkeypatch):
    """A checkpoint made current between reading config.json and the weights must not mix two steps."""
    run = tmp_path / "run"
    for steps, seed in ((5, 0), (9, 1)):
        torch.manual_seed(seed)
        folder = tmp_path / f"step{steps}"
        folder.mkdir()
        save_weights(AttnGAN(**CONFIG), folder / "model.safetensors")
        config = {"variant": "attngan", "plugin": "attngan", "config": CONFIG, "steps": steps}
        (folder / "config.json").write_text(json.dumps(config))
    as_checkpoint_sets(run, {"ckpt-5": tmp_path / "step5", "ckpt-9": tmp_path / "step9"}, "ckpt-5")
    advance_after_reading_config(monkeypatch, zoo.bundle, run, "ckpt-9")
    out = tmp_path / "b.safetensors"
    bundle(run, out)
    with safe_open(str(out), "pt") as f:
        assert f.metadata()["steps"] == "5"
        weights = {k: f.get_tensor(k) for k in f.keys()}
    step5 = zoo.load(run / "ckpt-5").state_dict()
    assert all(torch.equal(weights[k], step5[k]) for k in weights)
