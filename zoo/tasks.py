"""Tasks: the methods users call on models (``generate``, ``translate``, ...), how ``zoo run`` runs each
and how ``zoo evaluate`` scores it.

A variant names its task (``Variant.task``, ``GANModel.task``). The core registers the built-in tasks
below; a plugin adds its own through the ``register_tasks`` hook. The built-in ones live in the core and
not in a plugin because a task is a contract shared by variants of different plugins (pix2pix and
CycleGAN both ``translate``; every noise generator ``generate``s), so no variant depends on another
plugin being installed. Runners and evaluators are ``"module:function"`` paths, imported on use, so
reading the tasks stays light.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from zoo.entries import import_path
from zoo.errors import RegistryError, ZooError

#: what a task's models take as ``zoo run`` inputs: kind -> (what, an example command)
INPUTS = {
    "none": ("no inputs", "zoo run NAME --out grid.png"),
    "image": ("one image file", "zoo run NAME in.png --out out.png"),
    "images": ("image files or folders", "zoo run NAME DIR_OR_FILES... --out scores.csv"),
    "captions": ("captions", 'zoo run NAME "a red circle" --out out.png'),
}


@dataclass(frozen=True)
class Task:
    """A task: its name, how ``zoo run`` runs it, what inputs it takes and how it is evaluated.

    ``runner`` is the ``"module:function"`` of ``runner(model, args) -> Path``: it runs the loaded model
    (eval mode, on ``--device``) and returns the file it wrote. ``args`` holds ``zoo run``'s arguments:
    ``inputs`` (a list of strings, already checked against ``inputs``), ``out`` (a string), ``n``,
    ``seed``, ``device``, ``direction`` (``None`` unless given) and ``quiet``.

    ``evaluator`` is the ``"module:function"`` of ``evaluator(model, data, n, seed) -> dict``: the
    model's quality numbers and a ``"protocol"`` string saying how they were measured. ``data`` is
    ``--data`` or the dataset the model was trained on (``None`` when neither is known); ``n`` is
    ``--n`` or ``None`` (the evaluator's default). Empty: ``zoo evaluate`` refuses models of this task.
    """

    name: str
    runner: str
    inputs: str = "none"  # one of INPUTS: zoo run checks the arguments before loading the model
    evaluator: str = ""
    summary: str = ""
    plugin: str = ""  # filled in when registered: the plugin that registered it ("zoo": the core)

    def __post_init__(self) -> None:
        if self.inputs not in INPUTS:
            raise RegistryError(f"task {self.name!r}: inputs {self.inputs!r} is not one of {sorted(INPUTS)}")

    def run_function(self) -> Callable[..., Path]:
        """Import and return the ``zoo run`` runner."""
        return import_path(self.runner)

    def evaluate_function(self) -> Callable[..., dict[str, Any]]:
        """Import and return the evaluator, or raise when the task has none."""
        if not self.evaluator:
            raise ZooError(f"the task {self.name!r} has no evaluator: `zoo evaluate` cannot score its models")
        return import_path(self.evaluator)

    def check_inputs(self, inputs: list[str]) -> None:
        """Raise a ``ValueError`` naming what ``zoo run`` needs when ``inputs`` do not fit the task."""
        what, example = INPUTS[self.inputs]
        fits = {"none": not inputs, "image": len(inputs) == 1}.get(self.inputs, bool(inputs))  # else 1+
        if not fits:
            raise ValueError(f"{self.name} models take {what} ({example}), got {inputs or 'none'}")
        if self.inputs in ("image", "images"):
            missing = [item for item in inputs if not Path(item).exists()]
            if missing:
                raise FileNotFoundError(f"{self.name} input {missing[0]} does not exist")


_METRICS_SUITE = "zoo.metrics.report:evaluate_on_data"

#: the core's tasks: runners in ``zoo.cli``, every one scored by the metrics suite on its dataset
BUILTIN_TASKS = (
    Task("generate", "zoo.cli:run_generate", "none", _METRICS_SUITE, "samples from noise: a grid or a plot"),
    Task("translate", "zoo.cli:run_translate", "image", _METRICS_SUITE, "one image to another domain"),
    Task("score", "zoo.cli:run_score", "images", _METRICS_SUITE, "anomaly scores of images, as a CSV"),
    Task("upscale", "zoo.cli:run_upscale", "image", _METRICS_SUITE, "super-resolution of one image"),
    Task("text_to_image", "zoo.cli:run_text_to_image", "captions", _METRICS_SUITE, "one image per caption"),
)


def tasks() -> dict[str, Task]:
    """Every task by name: the core's, then each plugin's ``register_tasks`` (read afresh on each call)."""
    from zoo.plugins import call_each

    found: dict[str, Task] = {}

    def add(task: Task, plugin: str) -> None:
        if not isinstance(task, Task):
            raise RegistryError(
                f"plugin {plugin!r} registered {task!r}: register_tasks takes zoo.Task objects"
            )
        if task.name in found:
            raise RegistryError(
                f"task {task.name!r} is registered twice: by {found[task.name].plugin!r} and {plugin!r}"
            )
        found[task.name] = replace(task, plugin=plugin)

    for task in BUILTIN_TASKS:
        add(task, "zoo")
    for plugin, registered in call_each("register_tasks"):
        for task in registered:
            add(task, plugin)
    return found


def task(name: str) -> Task:
    """The task ``name``, or an error naming the tasks there are."""
    known = tasks()
    if name not in known:
        raise ZooError(
            f"no installed plugin registers the task {name!r} (tasks: {', '.join(sorted(known))}); "
            "call the model from Python after zoo.load(...)"
        )
    return known[name]


def task_of(name: str) -> str | None:
    """The task of the model ``name`` names, read without loading it (a registry entry or a run
    directory), so ``zoo run`` can check its inputs first; ``None`` when only loading tells (Hub names,
    paths that are not model directories)."""
    from zoo.artifacts import CONFIG, is_model_dir, read_run_config
    from zoo.hub_download import HUB_PREFIX
    from zoo.registry import registry

    if name.startswith(HUB_PREFIX):
        return None
    if is_model_dir(name):
        variant = read_run_config(Path(name) / CONFIG, name)["variant"]
    elif "/" in name or os.sep in name:
        return None  # zoo.load says what is wrong with the path
    else:
        variant = registry().find(name).variant
    return registry().variant(variant).task
