"""The contract between the core and plugins: every hook a plugin may implement.

A plugin is a module (found through the ``gan_zoo`` entry-point group) with functions decorated by
``zoo.hookimpl``. Discovery imports only that module, so it must stay light: no torch import at
module level. Networks, losses, training steps, task runners and evaluators are named by
``"module:attribute"`` paths and imported on use.

Every plugin's implementation of a hook is called (none is ``firstresult``): each registration hook
collects from all plugins, and each training event is news for all of them. No hook's return value is
used. The trainer events may leave out arguments they do not use (pluggy passes only those named).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    import argparse

    from zoo.entries import ModelEntry, Variant
    from zoo.tasks import Task
    from zoo.trainer import Trainer

hookspec = pluggy.HookspecMarker("gan_zoo")
hookimpl = pluggy.HookimplMarker("gan_zoo")


# -------------------------------------------------------------------------------------- registration
@hookspec
def register_variants(register: Callable[[Variant], None]) -> None:
    """Declare the GAN variants this plugin provides.

    :param register: Call it once per variant with a ``zoo.Variant``, which names its model class (a
        ``zoo.model.GANModel`` subclass built from a config), its training step and its task as
        ``"module:attribute"`` strings, imported on use. A variant name registered by two plugins is an
        error naming both.
    :return: Nothing.

    Called once per process, when the registry is first built (``zoo list``, ``zoo.load``, ``zoo train``),
    before any ``register_models``; each plugin's implementation on its own. A plugin whose hook raises
    is marked failed and its variants are dropped.
    """


@hookspec
def register_models(register: Callable[[ModelEntry | dict], None]) -> None:
    """Declare named models: metadata only (variant, config, weights reference, metrics), never networks.

    :param register: Call it once per model with a ``zoo.ModelEntry`` or a plain dict with the fields of a
        ``registry.yaml`` entry plus ``name``; dicts are validated like catalogue entries (an error names
        the entry and the field). ``zoo.models_from_yaml(path)`` reads a YAML catalogue the plugin ships
        (the built-in plugins register ``registry.yaml`` this way). An entry belongs to the plugin that
        registered it (``plugin:name``).
    :return: Nothing.

    Called once per process, after every ``register_variants``, when the registry is first built; each
    plugin's implementation on its own. A plugin whose hook raises, or that registers a malformed entry,
    is marked failed and all its models are dropped; other plugins are unaffected.
    """


@hookspec
def register_tasks(register: Callable[[Task], None]) -> None:
    """Declare tasks: the methods users call on models (``generate``, ``translate``, ...) beyond the
    built-in ones, with how ``zoo run`` runs them and how ``zoo evaluate`` scores them.

    :param register: Call it once per task with a ``zoo.Task``: its name (a variant's ``task``), the
        ``"module:function"`` of its ``zoo run`` runner and of its evaluator (imported on use), and the
        inputs it takes on the command line (``none``, ``image``, ``images`` or ``captions``), which
        ``zoo run`` checks before loading the model. A task name registered twice (by two plugins, or
        one of the core's) is an error naming both owners.
    :return: Nothing.

    Called by ``zoo run`` and ``zoo evaluate`` (``zoo.tasks.tasks()``), after the core's built-in tasks.
    A plugin whose hook raises is marked failed and its tasks are dropped.
    """


@hookspec
def register_commands(subparsers: argparse._SubParsersAction) -> None:
    """Add ``zoo`` subcommands.

    :param subparsers: The ``zoo`` parser's subcommands: ``p = subparsers.add_parser("name", help=...)``,
        then ``p.add_argument(...)`` and ``p.set_defaults(command=fn)``, where ``fn(args:
        argparse.Namespace) -> int | None`` runs the command and returns its exit status (``None``: 0).
        ``fn`` should import heavy modules inside itself: the parser is built for every ``zoo`` command.
        A ``ZooError``, ``ValueError`` or ``FileNotFoundError`` it raises is printed as ``error: ...``
        with exit status 2, as for the built-in commands.
    :return: Nothing.

    Called once per ``zoo`` process while the parser is built, after the built-in commands, so ``zoo
    --help`` lists the plugin's commands with theirs. A plugin whose hook raises (for example by reusing
    a command's name) is marked failed and the other commands still work.
    """


# ------------------------------------------------------------------------------------ training events
@hookspec
def on_train_start(trainer: Trainer) -> None:
    """A training run is about to take its first step.

    :param trainer: The running trainer; the attributes meant for plugins are ``model`` (the
        ``GANModel``), ``variant``, ``recipe`` (the validated ``zoo.trainer.Recipe``), ``step`` (steps
        done so far), ``run_dir`` (a ``Path``), ``device`` and ``world`` (``rank``, ``size``).
    :return: Nothing.

    Called once per ``zoo train`` run, before the first step; after a resume, before the first new step.
    Called on the main process only (rank 0 under ``torchrun``).
    """


@hookspec
def on_step_end(trainer: Trainer, step: int, metrics: dict[str, float]) -> None:
    """An optimisation step has finished.

    :param trainer: The running trainer (see ``on_train_start``).
    :param step: The number of steps done, 1-based.
    :param metrics: The values logged at this step (the training step's values averaged over processes,
        plus ``img_per_s``) as floats; empty on steps that are not logged (the recipe's ``log_every``).
    :return: Nothing.

    Called after every optimisation step, on the main process.
    """


@hookspec
def on_checkpoint(trainer: Trainer, path: str) -> None:
    """A checkpoint has been written.

    :param trainer: The running trainer (see ``on_train_start``).
    :param path: The checkpoint file (``checkpoint.pt``, next to ``model.safetensors`` and
        ``config.json``), written atomically.
    :return: Nothing.

    Called every ``checkpoint_every`` steps and after the last step, on the main process.
    """


@hookspec
def on_train_end(trainer: Trainer) -> None:
    """A training run has finished.

    :param trainer: The finished trainer (see ``on_train_start``); ``step`` equals the recipe's ``steps``.
    :return: Nothing.

    Called once, after the last step, when the final weights have been written; on the main process.
    """
