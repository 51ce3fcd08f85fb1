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
    cls.check_config(config, label)  # types and sizes, named by field, before anything is allocated
    try:
        return cls(**config)
    except TypeError as exc:
        raise RegistryError(f"{label}: the config {config} does not fit {cls.__name__}: {exc}") from exc
    except (ValueError, RuntimeError) as exc:
        if isinstance(exc, (ZooError, NotImplementedError)):  # says what is wrong; or not doable here (meta)
            raise
        raise RegistryError(f"{label}: the config {config} cannot build a {cls.__name__}: {exc}") from exc
