"""The one builder: a variant's model from its config, used by load, train, convert, bundle and the kit."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch

from zoo.errors import RegistryError, UnknownModelError, ZooError
from zoo.registry import registry

if TYPE_CHECKING:
    from zoo.model import GANModel


def build_model(
    variant: str,
    config: dict[str, Any],
    label: str = "",
    plugin: str = "",
    data: str | dict[str, Any] | None = None,
) -> GANModel:
    """``variant``'s model class built with ``config`` as keyword arguments, randomly initialised.

    ``label`` names what is being built in errors (a model name, a run directory); ``plugin`` names the
    plugin the variant came from, so a missing one can be named. With training ``data``, the class's
    ``config_from_data`` completes the config first (a text model's vocabulary comes from the captions),
    without shifting torch's random streams.
    """
    label = label or variant
    try:
        var = registry().variant(variant)
    except UnknownModelError as exc:
        needs = f" (from the plugin {plugin!r}: install it)" if plugin else ""
        raise UnknownModelError(f"{label} needs the variant {variant!r}{needs}. {exc}") from None
    cls = var.model_class()
    if data is not None:
        with torch.random.fork_rng(devices=[]):
            config = cls.config_from_data(dict(config), data)
    try:
        return cls(**config)
    except TypeError as exc:
        raise RegistryError(f"{label}: the config {config} does not fit {cls.__name__}: {exc}") from exc
    except (ValueError, RuntimeError) as exc:
        if isinstance(exc, ZooError):  # already says what is wrong
            raise
        suspects = ", ".join(f"{key!r} = {value}" for key, value in _negative(config))
        fields = f"the config field {suspects}" if suspects else f"the config {config}"
        raise RegistryError(f"{label}: {fields} cannot build a {cls.__name__}: {exc}") from exc


def _negative(config: Any, key: str = "") -> list[tuple[str, int]]:
    """The negative integer fields (dotted keys, nested ones too): sizes and counts no network can have."""
    if isinstance(config, dict):
        return [found for k, v in config.items() for found in _negative(v, f"{key}.{k}" if key else k)]
    if isinstance(config, (list, tuple)):
        return [found for i, v in enumerate(config) for found in _negative(v, f"{key}[{i}]")]
    if isinstance(config, int) and not isinstance(config, bool) and config < 0:
        return [(key, config)]
    return []
