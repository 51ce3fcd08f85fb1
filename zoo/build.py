"""The one builder: a variant's model from its config, used by load, train, convert, bundle and the kit."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import torch
from torch import nn
from torch.overrides import TorchFunctionMode

from zoo.errors import RegistryError, UnknownModelError, ZooError
from zoo.registry import registry
from zoo.weights import shapes_of

if TYPE_CHECKING:
    from zoo.model import GANModel

log = logging.getLogger(__name__)


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


class _SkipInitOnMeta(TorchFunctionMode):
    """Initialisers (``nn.init.*``, in-place random fills) do nothing to meta tensors: they set values,
    not shapes, and on meta some go through torch's Python references, whose first use imports
    ``torch._dynamo`` (seconds)."""

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        target = args[0] if args else kwargs.get("tensor")
        if func in _INITIALISERS and isinstance(target, torch.Tensor) and target.is_meta:
            return target
        return func(*args, **kwargs)


_FILLS = "normal_ uniform_ bernoulli_ exponential_ log_normal_ cauchy_ geometric_ random_".split()
_INITIALISERS = {getattr(torch.Tensor, name) for name in _FILLS} | {
    getattr(nn.init, name) for name in dir(nn.init) if name.endswith("_") and not name.startswith("_")
}


def meta_shapes(
    variant: str, config: dict[str, Any], label: str = "", plugin: str = ""
) -> dict[str, tuple[int, ...]] | None:
    """The state dict's shapes of ``variant`` built from ``config`` on the meta device (no memory, no
    initialisation), to check weights against before anything is allocated; ``None`` when the class
    cannot be built there (it computes with its tensors while building)."""
    try:
        with torch.device("meta"), _SkipInitOnMeta():
            return shapes_of(build_model(variant, config, label, plugin))
    except (NotImplementedError, RuntimeError) as exc:
        log.debug("%s: not built on the meta device (%s); checked after building", label or variant, exc)
        return None
