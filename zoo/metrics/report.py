"""``zoo evaluate``'s work: a model's quality numbers with their protocol, as JSON for the registry.

``evaluate_target`` loads the model with ``zoo.load`` (a run directory, a registry name or
``hf-hub:user/repo``), finds the dataset it was trained on (its run's recipe or its registry entry's
recipe file; ``data`` overrides) and hands both to its task's evaluator (``zoo.tasks``). Every built-in
task's evaluator is ``evaluate_on_data``: the core metrics suite (``zoo.metrics.suite``) on that dataset.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from zoo.artifacts import CONFIG, is_model_dir, read_run_config

if TYPE_CHECKING:
    from zoo.model import GANModel


def recipe_data(target: str) -> str | dict[str, Any] | None:
    """The data spec ``target`` was trained on: from its run's ``config.json`` or its registry entry's
    recipe; ``None`` when neither names one (or ``target`` is a Hub name)."""
    from zoo.hub_download import HUB_PREFIX
    from zoo.registry import registry

    if is_model_dir(target):
        return read_run_config(Path(target) / CONFIG, target).get("recipe", {}).get("data")
    if target.startswith(HUB_PREFIX) or "/" in target:
        return None  # a Hub repo's recipe is not read here; zoo.load says what is wrong with a bad path
    recipe = registry().find(target).recipe_path
    return yaml.safe_load(recipe.read_text()).get("data") if recipe is not None else None


def _refuse_released(target: str) -> None:
    """A released original has no protocol here: say so (and where its quality is) before it is fetched."""
    from zoo.errors import UnknownModelError
    from zoo.registry import describe

    try:
        note = describe(target).get("released_original")
    except UnknownModelError:
        return
    if note:
        raise ValueError(
            f"{target} is the original project's released model: {note['quality']}. Pass --data to measure "
            "it on data of your own"
        )


def evaluate_on_data(
    model: GANModel, data: str | dict[str, Any] | None, n: int | None, seed: int
) -> dict[str, Any]:
    """The core metrics suite's numbers for ``model`` on ``data`` (``n``: the protocol's default when
    ``None``), with the protocol in words: the evaluator of every built-in task."""
    from zoo.metrics.suite import default_n, evaluate, protocol

    if data is None:
        raise ValueError("the model names no training data to evaluate on: pass --data (e.g. --data mnist)")
    n = default_n(data) if n is None else n
    return {**evaluate(model, data, n=n, seed=seed), "protocol": protocol(data, n, seed)}


def evaluate_target(
    target: str,
    n: int | None = None,
    seed: int = 0,
    data: str | dict[str, Any] | None = None,
    device: str = "cpu",
) -> dict[str, Any]:
    """Load ``target``, run its task's evaluator on its data (or ``data``) and return the numbers with
    their protocol, the data, the seed and the target."""
    from zoo.loading import load
    from zoo.tasks import task

    spec = data if data is not None else recipe_data(target)
    if spec is None:
        _refuse_released(target)
    model = load(target, device=device)
    result = task(model.task).evaluate_function()(model, spec, n, seed)
    return {**result, "data": spec, "seed": seed, "model": target}
