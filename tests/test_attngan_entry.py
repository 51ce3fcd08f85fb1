"""The registry entry attngan-shapes: its bundled file (sha256, no discriminators), loading,
generation and ``zoo run`` from a clean checkout, and its recorded numbers against the issue's goals."""

from __future__ import annotations

import pytest
import torch
from safetensors import safe_open

import zoo
from zoo.cli import main
from zoo.registry import registry
from zoo.trainer import RecipeError, load_recipe, train
from zoo.weights import read_weights, sha256_of

NAME = "attngan-shapes"
CAPTIONS = ["a small red circle at the top left", "a blue square", "a large green star at the bottom"]


@pytest.fixture(scope="module")
def t2i():
    return zoo.load(NAME)


def test_the_bundled_file_is_the_registry_s_generator_and_encoders():
    weights = registry().find(NAME).weights
    assert weights.bundled.endswith("plugins/attngan/weights/attngan-shapes.safetensors")
    assert sha256_of(weights.bundled) == weights.sha256
    with safe_open(weights.bundled, "pt") as f:
        keys = list(f.keys())
        assert f.metadata()["variant"] == "attngan" and f.metadata()["dtype"] == "float32"
        dtypes = {f.get_tensor(k).dtype for k in keys}
    assert {k.split(".")[0] for k in keys} == {"generator", "encoders"}
    assert any(k.startswith("encoders.image.") for k in keys)  # R-precision needs the image encoder
    assert dtypes == {torch.float32, torch.int64}  # batch-norm step counters stay integers


def test_the_entry_s_vocabulary_is_words():
    words = registry().find(NAME).config["vocabulary"]
    # YAML reads a bare `on` as True: every word must come back a string
    assert all(isinstance(w, str) for w in words) and "on" in words and len(words) == 34


def test_generate_from_the_bundled_entry(t2i):
    images = t2i.generate(CAPTIONS, seed=0)
    assert images.shape == (3, 3, 64, 64) and images.dtype == torch.float32
    assert 0 <= images.min() and images.max() <= 1 and images.std() > 0.01
    assert torch.equal(images, t2i.generate(CAPTIONS, seed=0))
    assert not torch.equal(images, t2i.generate(CAPTIONS, seed=1))
    assert t2i.discriminators is None and "image" in t2i.encoders


def test_truncation_scales_the_noise(t2i):
    default = t2i.generate(CAPTIONS, seed=0)
    assert torch.equal(default, t2i.generate(CAPTIONS, seed=0, truncation=1.0))
    typical = t2i.generate(CAPTIONS, seed=0, truncation=0)
    assert torch.equal(typical, t2i.generate(CAPTIONS, seed=5, truncation=0.0))  # no noise left
    assert not torch.equal(typical, default)
    for bad in (-0.5, "0.5", None):
        with pytest.raises(ValueError, match="truncation scales the noise"):
            t2i.generate(CAPTIONS, truncation=bad)


def test_zoo_run_of_the_entry(tmp_path):
    out = tmp_path / "out.png"
    assert main(["-q", "run", NAME, "a blue square", "--out", str(out)]) == 0
    from PIL import Image

    with Image.open(out) as im:
        assert im.size == (64, 64)  # one caption: the image itself, no grid padding


def test_the_entry_meets_its_goals_and_is_the_variants_default():
    entry = registry().find(NAME)
    m = entry.metrics  # as recorded; tests/test_model_quality.py re-measures them from the bundled file
    assert m["r_precision"] >= 0.80 and m["seen_all"] >= 0.90 and "Meets both goals" in entry.summary
    assert entry.default and registry().find("attngan") is entry  # zoo.load("attngan") gives it


def _entry_recipe(tmp_path, **model) -> dict:
    """The entry's own recipe, fine-tuned from the entry (``init``) with the entry's encoders."""
    recipe = load_recipe("configs/attngan-shapes.yaml", out=str(tmp_path / "run"), init=NAME)
    recipe.model.update(model)
    recipe.step["damsm"] = NAME
    return recipe.to_dict()


def test_a_run_starts_from_the_entry_with_fresh_discriminators(t2i, tmp_path):
    from zoo.trainer import Trainer

    model = Trainer(load_recipe(_entry_recipe(tmp_path, ndf=32))).model
    ours, theirs = model.state_dict(), t2i.state_dict()
    assert set(theirs) < set(ours) and all(torch.equal(ours[k], v) for k, v in theirs.items())
    fresh = Trainer(load_recipe({**_entry_recipe(tmp_path), "init": None})).model.state_dict()
    assert not torch.equal(fresh["generator.h_net1.fc.0.weight"], ours["generator.h_net1.fc.0.weight"])


def test_init_with_other_model_options_names_the_misfit(tmp_path):
    with pytest.raises(RecipeError, match=r"do not fit .*generator\..* vs "):
        train(_entry_recipe(tmp_path, ngf=32))
    assert not (tmp_path / "run").exists()  # nothing written


def test_step_damsm_takes_the_entry_s_encoders(t2i, tmp_path):
    run = train(_entry_recipe(tmp_path), steps=1, checkpoint_every=0, sample_every=0, log_every=1)
    weights = read_weights(run / "model.safetensors")
    encoders = {k: v for k, v in t2i.state_dict().items() if k.startswith("encoders.")}
    assert encoders and all(torch.equal(weights[k], v) for k, v in encoders.items())  # frozen, the entry's
