"""A conformance kit for plugin authors: ``check_variant`` runs the contract every variant must keep.

Call it from your plugin's own tests with tiny networks, e.g.::

    from zoo.testing import check_variant

    def test_tinygan_keeps_the_zoo_contract(tmp_path):
        check_variant("tinygan", model={"latent_dim": 4}, data="gaussians25", out=tmp_path)

Each broken rule raises ``ConformanceError`` saying what broke and what the variant must do instead.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from zoo.errors import ZooError


class ConformanceError(ZooError, AssertionError):
    """A variant breaks a rule of the plugin contract."""


def _require(ok: bool, message: str) -> None:
    if not ok:
        raise ConformanceError(message)


def check_variant(
    name: str,
    model: dict[str, Any],
    data: str | dict[str, Any],
    out: str | Path,
    steps: int = 2,
    batch_size: int = 2,
    step: dict[str, Any] | None = None,
) -> Path:
    """Check variant ``name`` with model options ``model`` on ``data``; returns the run directory.

    1. the variant is registered and its model class is a ``zoo.model.GANModel``;
    2. ``config`` records the options, and ``cls(**model.config)`` rebuilds the same tensor names and shapes;
    3. ``zoo.train`` runs ``steps`` steps (training step options ``step``), writing weights, config,
       checkpoint and finite logged metrics; resuming adds one step;
    4. ``zoo.load(run)`` returns the trained weights exactly, in eval mode.
    """
    import torch

    import zoo
    from zoo.model import GANModel
    from zoo.registry import registry
    from zoo.trainer import train
    from zoo.weights import read_weights

    variant = registry().variant(name)
    cls = variant.model_class()
    _require(
        isinstance(cls, type) and issubclass(cls, GANModel),
        f"{variant.model} must be a subclass of zoo.model.GANModel",
    )
    built = cls(**model)
    config = getattr(built, "config", None)
    _require(
        isinstance(config, dict) and all(config.get(k) == v for k, v in model.items()),
        f"{cls.__name__}.config must record the __init__ options {model} (call super().__init__() first), "
        f"got {config!r}",
    )
    _require(
        json.loads(json.dumps(config)) == config,
        f"{cls.__name__}.config must be JSON (it is written to config.json): {config!r}",
    )
    rebuilt = {k: tuple(v.shape) for k, v in cls(**config).state_dict().items()}
    _require(
        rebuilt == {k: tuple(v.shape) for k, v in built.state_dict().items()},
        f"{cls.__name__}(**config) builds other tensors than {cls.__name__}(**{model}): "
        "config must hold every option that shapes the networks",
    )
    recipe = {
        "variant": name,
        "model": model,
        "data": data,
        "step": step or {},
        "batch_size": batch_size,
        "steps": steps,
        "log_every": 1,
        "sample_every": steps,
        "checkpoint_every": steps,
        "out": str(Path(out) / name),
    }
    run = train(recipe)
    for file in ("model.safetensors", "config.json", "checkpoint.pt", "metrics.jsonl"):
        _require((run / file).is_file(), f"training wrote no {file} in {run}")
    logged = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    _require(
        [r["step"] for r in logged] == list(range(1, steps + 1)),
        f"the training step's values were not logged at every step: {logged}",
    )
    bad = {k: v for r in logged for k, v in r.items() if not torch.isfinite(torch.tensor(float(v)))}
    _require(not bad, f"the training step returned non-finite values: {bad}")
    train(recipe, resume=True, steps=steps + 1)
    _require(
        json.loads((run / "config.json").read_text()).get("steps") == steps + 1,
        "resuming the run did not continue it by one step",
    )
    loaded = zoo.load(run)
    _require(not loaded.training, "zoo.load must return the model in eval mode")
    saved = read_weights(run / "model.safetensors")
    state = loaded.state_dict()
    _require(
        set(saved) == set(state) and all(torch.equal(state[k].cpu(), saved[k]) for k in saved),
        "zoo.load(run) does not give back the weights the run saved",
    )
    return run
