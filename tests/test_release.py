"""``zoo release``: a catalogue's bundled models published to a (local) Hub and pinned to what was published;
afterwards they load from the Hub at that revision, sha256 checked, with the bundled files gone."""

from __future__ import annotations

import shutil

import pytest
import torch
import yaml
from conftest import HUB_TOKEN
from huggingface_hub import ModelCard

import zoo
from zoo.cli import main
from zoo.plugins import manager
from zoo.registry import registry, reset
from zoo.weights import sha256_of

NAMES = {"dcgan-mnist": "mini-dcgan", "gan-gaussians25": "mini-grid"}


@pytest.fixture
def plugin_catalogue(tmp_path):
    """A plugin's catalogue: two built-in entries under new names, their weights copied beside it."""
    folder = tmp_path / "plugin"
    (folder / "weights").mkdir(parents=True)
    models = {}
    for original, name in NAMES.items():
        entry = registry().find(original)
        shutil.copy(entry.weights.bundled, folder / "weights" / f"{name}.safetensors")
        shutil.copy(entry.recipe_path, folder / f"{name}.yaml")
        models[name] = {
            "variant": entry.variant,
            "config": entry.config,
            "license": "MIT",
            "recipe": f"{name}.yaml",
            "metrics": {"fd_ratio": 1.5, "protocol": "a protocol text", "command": f"zoo evaluate {name}"},
        }
    text = yaml.safe_dump({"models": models}, sort_keys=False)
    for name in NAMES.values():  # the weights block in the block style registry.yaml uses
        sha = sha256_of(folder / "weights" / f"{name}.safetensors")
        text = text.replace(
            f"  {name}:\n",
            f"  {name}:\n    weights:\n      bundled: weights/{name}.safetensors\n      sha256: {sha}\n",
        )
    catalogue = folder / "models.yaml"
    catalogue.write_text(text)

    class Plugin:
        @zoo.hookimpl
        def register_models(self, register):
            for entry in zoo.models_from_yaml(catalogue):
                register(entry)

    plugin = Plugin()
    manager().register(plugin, name="test-release")
    reset()
    yield catalogue
    manager().unregister(plugin)
    reset()


def test_release_publishes_pins_and_then_loads_from_the_hub(hub, plugin_catalogue, monkeypatch, capsys):
    before = {name: zoo.load(name).generate(4, seed=0) for name in NAMES.values()}
    monkeypatch.setenv("HF_TOKEN", HUB_TOKEN)
    assert main(["release", "--org", "me", *NAMES.values()]) == 0
    printed = dict(line.split() for line in capsys.readouterr().out.splitlines())

    pinned = yaml.safe_load(plugin_catalogue.read_text())["models"]
    for name in NAMES.values():
        weights = pinned[name]["weights"]
        assert weights["repo"] == f"me/{name}" and printed[name] == f"me/{name}@{weights['revision']}"
        assert len(weights["revision"]) == 40
        card = ModelCard.load(f"me/{name}", repo_type="model")
        assert card.data.library_name == "gan-zoo" and "a protocol text" in card.text

    for name in NAMES.values():  # a fresh install without the bundled files: the Hub, at the pinned revision
        (plugin_catalogue.parent / "weights" / f"{name}.safetensors").unlink()
    reset()
    hub.requests.clear()
    for name in NAMES.values():
        assert torch.equal(zoo.load(name).generate(4, seed=0), before[name])
    revisions = {pinned[name]["weights"]["revision"] for name in NAMES.values()}
    assert {rev for rev in revisions if any(rev in path for _, path in hub.requests)} == revisions


def test_release_refuses_an_entry_without_a_catalogue_file(catalogue, capsys):
    entry = registry().find("gan-mnist")
    catalogue(
        inline={"variant": "gan", "config": entry.config, "weights": {"bundled": entry.weights.bundled}}
    )
    assert main(["release", "--org", "me", "inline"]) == 2
    assert "not read from a catalogue file" in capsys.readouterr().err


def test_release_refuses_a_released_original_and_skips_it_by_default(capsys, monkeypatch):
    from zoo.release import _entries

    assert main(["release", "--org", "me", "cyclegan-horse2zebra"]) == 2
    assert "not gan-zoo's weights to publish" in capsys.readouterr().err
    assert not any(e.weights.url for e in _entries(None, "gan-zoo"))
