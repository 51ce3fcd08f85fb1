"""The trainer end to end: a run directory with weights, config, metrics, samples and a checkpoint."""

from __future__ import annotations

import json

import pytest
import torch

import zoo
from zoo.registry import registry
from zoo.trainer import RecipeError, train
from zoo.weights import load_weights, read_weights


def test_run_directory_holds_everything(toy_recipe):
    run = train(toy_recipe)
    names = {p.name for p in run.iterdir()}
    assert {"checkpoint.pt", "config.json", "model.safetensors", "metrics.jsonl", "samples"} <= names
    assert sorted(p.name for p in (run / "samples").iterdir()) == [
        "latest.png",
        "step_0000020.png",
        "step_0000040.png",
    ]

    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records] == list(range(5, 41, 5))
    assert {"loss_d", "loss_g", "d_real", "d_fake", "img_per_s"} <= set(records[0])
    assert all(0 < r["d_real"] < 1 and r["img_per_s"] > 0 for r in records)

    config = json.loads((run / "config.json").read_text())
    assert (config["variant"], config["plugin"], config["steps"]) == ("gan", "gan", 40)
    assert toy_recipe["model"].items() <= config["config"].items()  # the model's full kwargs, defaults too
    assert config["zoo_version"] == zoo.__version__ and config["recipe"]["seed"] == 0


def test_weights_are_the_average_and_rebuild_the_model(toy_recipe):
    run = train(toy_recipe)
    config = json.loads((run / "config.json").read_text())
    model = load_weights(
        registry().variant(config["variant"]).model_class()(**config["config"]), run / "model.safetensors"
    )
    state = torch.load(run / "checkpoint.pt", weights_only=True)
    weights = read_weights(run / "model.safetensors")
    ema = {k.removeprefix("module."): v for k, v in state["ema"]["generator"].items() if k != "n_averaged"}
    for key, value in ema.items():
        assert torch.equal(weights[f"generator.{key}"], value)
    raw = state["model"]
    assert not torch.equal(weights["generator.net.0.weight"], raw["generator.net.0.weight"])  # EMA, not raw
    assert torch.equal(weights["discriminator.net.0.weight"], raw["discriminator.net.0.weight"])
    assert model.generate(8, seed=0).shape == (8, 2)


def test_same_seed_same_losses(toy_recipe, tmp_path):
    first = train(toy_recipe, steps=10)
    second = train(toy_recipe, steps=10, out=str(tmp_path / "again"))
    assert _losses(first) == _losses(second)
    third = train(toy_recipe, steps=10, seed=1, out=str(tmp_path / "other"))
    assert _losses(third) != _losses(first)


def test_dcgan_with_bf16_accumulation_and_channels_last(tmp_path, single_thread):
    recipe = {
        "variant": "dcgan",
        "data": "mnist",
        "model": {"latent_dim": 8, "width": 4},
        "batch_size": 8,
        "steps": 3,
        "grad_accum": 2,
        "amp": "bf16",
        "channels_last": True,
        "log_every": 1,
        "sample_every": 3,
        "out": str(tmp_path / "dcgan"),
    }
    run = train(recipe)
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert len(records) == 3 and all(torch.isfinite(torch.tensor(r["loss_g"])) for r in records)
    assert (run / "samples" / "step_0000003.png").stat().st_size > 0
    state = torch.load(run / "checkpoint.pt", weights_only=True)
    assert state["position"] == {"epoch": 0, "index": 6}  # two micro-batches per step


def test_existing_run_is_not_overwritten(toy_recipe):
    train(toy_recipe, steps=10)
    with pytest.raises(RecipeError, match="--resume"):
        train(toy_recipe, steps=10)


def _losses(run) -> list[tuple[float, float]]:
    return [
        (r["loss_d"], r["loss_g"]) for r in map(json.loads, (run / "metrics.jsonl").read_text().splitlines())
    ]


def test_zoo_train_stays_the_function_after_the_trainer_is_imported():
    import zoo
    import zoo.trainer  # noqa: F401  (a subpackage named zoo.train would rebind zoo.train to itself)

    assert callable(zoo.train) and zoo.train.__module__ == "zoo"


def test_init_starts_from_a_run_s_weights_and_names_a_bad_source(toy_recipe, tmp_path):
    from zoo.trainer import Trainer, load_recipe

    first = train(toy_recipe, steps=10)
    second = Trainer(load_recipe({**toy_recipe, "init": str(first), "out": str(tmp_path / "second")}))
    weights, ours = read_weights(first / "model.safetensors"), second.model.state_dict()
    assert set(weights) == set(ours) and all(torch.equal(ours[k], v) for k, v in weights.items())
    with pytest.raises(RecipeError, match="init: cannot load 'no-such-gan'"):
        train({**toy_recipe, "init": "no-such-gan", "out": str(tmp_path / "third")})
    assert not (tmp_path / "third").exists()


def test_init_fresh_leaves_the_named_submodules_out_of_init(toy_recipe, tmp_path):
    from zoo.trainer import Trainer, load_recipe

    first = train(toy_recipe, steps=10)
    weights = read_weights(first / "model.safetensors")
    untouched = Trainer(load_recipe({**toy_recipe, "out": str(tmp_path / "fresh")})).model.state_dict()
    recipe = {**toy_recipe, "init": str(first), "init_fresh": ["discriminator"], "out": str(tmp_path / "b")}
    ours = Trainer(load_recipe(recipe)).model.state_dict()
    inner = [k for k in ours if k.startswith("discriminator.")]
    assert inner and all(torch.equal(ours[k], untouched[k]) for k in inner)
    assert not all(torch.equal(ours[k], weights[k]) for k in inner)  # the run's discriminator moved
    assert all(torch.equal(ours[k], weights[k]) for k in ours if k not in inner)
    with pytest.raises(RecipeError, match="no submodule 'critic'; its submodules: generator, discriminator"):
        Trainer(load_recipe({**recipe, "init_fresh": ["critic"]}))
    with pytest.raises(RecipeError, match="'init_fresh' names submodules .* but 'init' is not set"):
        load_recipe({**toy_recipe, "init_fresh": ["discriminator"]})
