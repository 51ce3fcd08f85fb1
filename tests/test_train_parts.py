"""The trainer's parts on their own: recipe checks, the step context, EMA and the data order."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from zoo.trainer import RecipeError, load_recipe, train
from zoo.trainer.context import StepContext
from zoo.trainer.ema import EMA
from zoo.trainer.sampler import ShardBatches, epoch_order
from zoo.trainer.schedule import lr_factor

BASE = {"variant": "gan", "data": "gaussians25"}


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"stpes": 10}, r"unknown field 'stpes'; allowed fields: variant, data"),
        ({"steps": "10"}, r"field 'steps' must be int, got str \('10'\)"),
        ({"batch_size": True}, r"field 'batch_size' must be int, got bool"),
        ({"batch_size": 0}, r"field 'batch_size' must be at least 1"),
        ({"amp": "fp8"}, r"field 'amp' must be false, true \(fp16 on CUDA\) or 'bf16'"),
        ({"ema": {"decay": 1.5}}, r"'ema.decay' must be a number in \[0, 1\)"),
        ({"ema": {"delay": 0.9}}, r"unknown field\(s\) \['delay'\] in 'ema'"),
        ({"optimizers": {"generator": {"name": "rmsprop"}}}, r"'optimizers.generator.name' is 'rmsprop'"),
        ({"model": [1, 2]}, r"field 'model' must be dict, got list"),
    ],
)
def test_bad_recipe_fields_are_named(fields, message):
    with pytest.raises(RecipeError, match=message):
        load_recipe({**BASE, **fields})


def test_missing_required_field():
    with pytest.raises(RecipeError, match=r"missing required field 'data'"):
        load_recipe({"variant": "gan"})


def test_yaml_file_and_overrides(tmp_path):
    path = tmp_path / "recipe.yaml"
    path.write_text("variant: dcgan\ndata: mnist\nmodel: {width: 8, latent_dim: 16}\nsteps: 100\n")
    recipe = load_recipe(path, steps=5, model={"width": 4}, out=tmp_path / "run", seed=None)
    assert (recipe.steps, recipe.model, recipe.out, recipe.seed) == (
        5,
        {"width": 4, "latent_dim": 16},
        str(tmp_path / "run"),
        0,
    )
    path.write_text("variant: dcgan\ndata: mnist\nwidht: 8\n")
    with pytest.raises(RecipeError, match=rf"{path}: unknown field 'widht'"):
        load_recipe(path)


def test_recipe_errors_found_when_building(toy_recipe):
    with pytest.raises(
        RecipeError,
        match=r"the recipe's 'model': the config does not fit VanillaGAN: field 'width' is not one of",
    ):
        train(toy_recipe, model={"width": 3})
    with pytest.raises(
        RecipeError, match=r"data's samples have shape \(2,\) but the model generates \(1, 28, 28\)"
    ):
        train(toy_recipe, model={"out_shape": [1, 28, 28]})
    with pytest.raises(RecipeError, match=r"'optimizers' names \['critic'\]"):
        train(toy_recipe, optimizers={"critic": {"lr": 1e-3}})
    with pytest.raises(RecipeError, match=r"'optimizers.generator': .*momentum"):
        train(toy_recipe, optimizers={"generator": {"name": "adam", "momentum": 0.9}})
    with pytest.raises(RecipeError, match=r"amp: true .* needs CUDA; on CPU use `amp: bf16`"):
        train(toy_recipe, amp=True, device="cpu")


class Pair(nn.Module):
    optimized = ("generator", "discriminator")

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.generator, self.discriminator = nn.Linear(3, 3), nn.Linear(3, 1)


def _loss(model: Pair, x: torch.Tensor) -> torch.Tensor:
    return model.discriminator(model.generator(x)).pow(2).mean()


def _sgd(model: Pair) -> dict:
    return {n: torch.optim.SGD(getattr(model, n).parameters(), lr=0.1) for n in model.optimized}


def test_gradient_accumulation_equals_one_big_batch():
    x = torch.randn(8, 3)
    big, small = Pair(), Pair()
    StepContext(big, _sgd(big), torch.device("cpu")).optimize("generator", _loss(big, x))
    ctx = StepContext(small, _sgd(small), torch.device("cpu"), grad_accum=2)
    for micro, chunk in enumerate(x.chunk(2)):
        ctx.micro = micro
        ctx.optimize("generator", _loss(small, chunk))
    torch.testing.assert_close(small.generator.weight, big.generator.weight, rtol=0, atol=1e-6)
    assert not torch.equal(big.generator.weight, Pair().generator.weight)


def test_optimize_touches_only_the_named_network():
    model = Pair()
    before = model.discriminator.weight.clone()
    ctx = StepContext(model, _sgd(model), torch.device("cpu"), grad_accum=2)
    ctx.optimize("generator", _loss(model, torch.randn(4, 3)))  # first micro-batch: gradients kept
    assert model.generator.weight.grad is not None and model.discriminator.weight.grad is None
    assert torch.equal(model.discriminator.weight, before)
    with pytest.raises(KeyError, match="no such optimiser"):
        ctx.optimize("critic", torch.tensor(0.0))


def test_bf16_autocast_on_cpu():
    model = Pair()
    ctx = StepContext(model, _sgd(model), torch.device("cpu"), amp="bf16")
    with ctx.autocast():
        assert model.generator(torch.randn(2, 3)).dtype == torch.bfloat16
    assert not ctx.scaler.is_enabled()


def test_ema_follows_until_start_then_lags():
    model = Pair()
    model.averaged = ("generator",)
    ema = EMA(model, ("generator",), decay=0.9, start=2)
    average = ema.averages["generator"].module
    for step in (1, 2):
        model.generator.weight.data += 1
        ema.update(model, step)
        assert torch.equal(average.weight, model.generator.weight)
    old = average.weight.clone()
    model.generator.weight.data += 1
    ema.update(model, 3)
    torch.testing.assert_close(average.weight, 0.9 * old + 0.1 * model.generator.weight)
    with ema.swapped_in(model) as inference:
        assert inference.generator is average and not inference.training
    assert model.generator is not average and model.training


def test_epoch_order_is_a_pure_function_and_shards_are_disjoint():
    assert torch.equal(epoch_order(50, 3, 1), epoch_order(50, 3, 1))
    assert not torch.equal(epoch_order(50, 3, 1), epoch_order(50, 3, 2))
    shards = [[i for b in ShardBatches(50, 4, 3, 1, rank, 3) for i in b] for rank in range(3)]
    assert all(len(s) == 16 for s in shards)  # 50 // 12 = 4 batches of 4 per rank; the tail is dropped
    assert len(set().union(*shards)) == 48
    full = list(ShardBatches(50, 4, 3, 1, 1, 3))
    assert list(ShardBatches(50, 4, 3, 1, 1, 3, start=2)) == full[2:]
    with pytest.raises(RecipeError, match="fewer than one batch per process"):
        ShardBatches(10, 8, 0, 0, 0, 2)


def test_linear_decay_keeps_the_rate_then_decays_it_to_zero():
    spec = {"name": "linear_decay", "start": 6}
    factors = [lr_factor(spec, step, 10) for step in range(10)]
    assert factors[:7] == [1.0] * 7 and factors[7:] == pytest.approx([0.75, 0.5, 0.25])
    assert lr_factor(None, 9, 10) == lr_factor({"name": "constant"}, 9, 10) == 1.0
    half = {"name": "linear_decay", "start": 0.5}  # a fraction of the run: the same shape for any length
    assert [lr_factor(half, step, 10) for step in range(10)] == pytest.approx(
        [1.0] * 6 + [0.8, 0.6, 0.4, 0.2]
    )
    assert lr_factor(half, 100, 200) == 1.0 and lr_factor(half, 150, 200) == pytest.approx(0.5)


@pytest.mark.parametrize(
    "spec, message",
    [
        ({"name": "cosine"}, "choose one of constant, linear_decay"),
        ({"name": "linear_decay"}, r"'lr_schedule.start' must be a step in \[0, steps=40\)"),
        ({"name": "linear_decay", "start": 40}, "must be a step in"),
        ({"name": "linear_decay", "start": 1.0}, r"or a fraction of the run in \[0, 1\), got 1.0"),
        ({"name": "constant", "start": 3}, r"unknown field\(s\) \['start'\]"),
    ],
)
def test_bad_schedules_are_named(toy_recipe, spec, message):
    with pytest.raises(RecipeError, match=message):
        load_recipe({**toy_recipe, "lr_schedule": spec})


def test_trainer_applies_the_schedule_and_resumes_it(toy_recipe):
    recipe = {**toy_recipe, "steps": 4, "lr_schedule": {"name": "linear_decay", "start": 2}}
    recipe["optimizers"] = {
        "generator": {"name": "adam", "lr": 1e-3},
        "discriminator": {"name": "adam", "lr": 2e-3},
    }
    run = train(recipe, steps=3)  # updates at steps 0, 1, 2 use the full rate (decay counts to `steps`)

    def rates() -> dict[str, float]:
        state = torch.load(run / "checkpoint.pt", weights_only=True)["optimizers"]
        return {name: opt["param_groups"][0]["lr"] for name, opt in state.items()}

    assert rates() == pytest.approx({"generator": 1e-3, "discriminator": 2e-3})
    train(recipe, resume=True)  # the update at step 3 uses 1 - (3 - 2) / (4 - 2) of the initial rate
    assert rates() == pytest.approx({"generator": 5e-4, "discriminator": 1e-3})
