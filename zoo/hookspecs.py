"""The contract between the core and plugins: every hook a plugin may implement.

A plugin is a module (found through the ``gan_zoo`` entry-point group) with functions decorated by
``zoo.hookimpl``. Discovery imports only that module, so it must stay light: no torch import at
module level. Networks, losses and the training step are named by dotted paths and imported on use.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from zoo.entries import ModelEntry, Variant

hookspec = pluggy.HookspecMarker("gan_zoo")
hookimpl = pluggy.HookimplMarker("gan_zoo")


@hookspec
def register_variants(register: Callable[[Variant], None]) -> None:
    """Declare GAN variants: call ``register(Variant(...))`` once for each.

    Called once, when the plugin manager is built. A variant names its model class (the networks,
    built from a config) and its training step as ``"module:attribute"`` strings, imported on use.
    """


@hookspec
def register_models(register: Callable[[ModelEntry | dict], None]) -> None:
    """Declare named models (metadata only: variant, config, weights reference, metrics).

    Called when the registry is first read. Entries may be ``ModelEntry`` objects or plain dicts
    with the fields of a ``registry.yaml`` entry (``name`` included). Built-in models come from the
    root ``registry.yaml``; third-party plugins use this hook, e.g. reading a YAML file they ship.
    """


@hookspec
def on_train_start(trainer: Any) -> None:
    """Called once before the first step (after a resume, before the first new step)."""


@hookspec
def on_step_end(trainer: Any, step: int, metrics: dict[str, float]) -> None:
    """Called after every optimisation step with the step number (1-based) and its logged values."""


@hookspec
def on_checkpoint(trainer: Any, path: str) -> None:
    """Called after a checkpoint has been written atomically to ``path``."""


@hookspec
def on_train_end(trainer: Any) -> None:
    """Called once after the last step, when the final weights have been written."""
