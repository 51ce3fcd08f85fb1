"""gan-zoo: a plugin-based model zoo for GANs.

The public API is small: ``load``, ``list_models``, ``info``, ``train``, ``publish``, the hook
marker and what the registration hooks take (``Variant``, ``ModelEntry``, ``Task``). Importing ``zoo``
(and listing models) does not import torch: heavy modules load on use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from zoo.entries import ModelEntry, Variant, models_from_yaml
from zoo.hookspecs import hookimpl
from zoo.tasks import Task
from zoo.version import __version__

if TYPE_CHECKING:
    from pathlib import Path

    from zoo.model import GANModel

__all__ = [
    "__version__",
    "load",
    "list_models",
    "info",
    "train",
    "publish",
    "hookimpl",
    "Variant",
    "ModelEntry",
    "models_from_yaml",
    "Task",
]


def list_models(pattern: str = "*") -> list[str]:
    """Names of the registered models matching a shell-style wildcard (``'dcgan*'``)."""
    from zoo.registry import registry

    return [e.name for e in registry().list(pattern)]


def info(name: str) -> dict[str, Any]:
    """Everything the registry knows about a model: variant, config, weights source, metrics, licence."""
    from zoo.registry import describe

    return describe(name)


def load(name: str, **kwargs: Any) -> GANModel:
    """A ready model in eval mode from a name: ``"dcgan"``, ``"plugin:name"``, ``"hf-hub:user/repo[@rev]"``.

    Keyword arguments: ``pretrained=True``, ``device="cpu"``, ``dtype=None``, ``weights=None`` (a local
    safetensors path that overrides the registry's), ``revision=None``; any other keyword overrides
    the model config.
    """
    from zoo.loading import load as _load

    return _load(name, **kwargs)


def train(config: str | Path | dict[str, Any], **overrides: Any) -> Path:
    """Train from a recipe (a YAML path or a dict); returns the run directory."""
    from zoo.trainer import train as _train

    return _train(config, **overrides)


def publish(run: str | Path, repo_id: str, **kwargs: Any) -> str:
    """Upload a run's weights, ``config.json`` and model card to the Hub; returns the commit sha."""
    from zoo.hub_publish import publish as _publish

    return _publish(run, repo_id, **kwargs)
