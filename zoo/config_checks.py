"""A model config checked against its class before anything is built, each error naming the field.

The names and types come from the class's ``__init__`` signature (``int``, ``float``, ``bool``, ``str``,
``list[int]``, ``X | None``; other annotations are not checked); the bounds of size fields come from the
class's ``config_constraints`` (``{"width": Size(), "resolution": Size(min=8, power_of_two=True)}``).
So ``width: "64"``, ``channels: -1`` or ``resolution: 33`` in a ``config.json`` fail with one line naming
the field instead of a traceback from the middle of the network, or a huge allocation.
"""

from __future__ import annotations

import inspect
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from zoo.errors import RegistryError


@dataclass(frozen=True)
class Size:
    """An integer size field: at least ``min`` (positive by default), a power of two when
    ``power_of_two``, a multiple of ``multiple_of``. On a ``list[int]`` field it bounds every element."""

    min: int = 1
    power_of_two: bool = False
    multiple_of: int = 1

    def problem(self, value: int) -> str | None:
        """What ``value`` fails to be, or ``None`` when it fits."""
        if value < self.min:
            return f"at least {self.min}"
        if self.power_of_two and value & (value - 1):
            return "a power of two"
        if value % self.multiple_of:
            return f"a multiple of {self.multiple_of}"
        return None


def check_config(cls: type, config: Mapping[str, Any], label: str) -> None:
    """Raise ``RegistryError`` naming the first field of ``config`` that cannot build ``cls``: not one of
    its arguments, a required one left out, the wrong type, or a size out of ``cls.config_constraints``."""
    params = list(inspect.signature(cls.__init__).parameters.values())[1:]  # without self
    fields = {p.name: p for p in params}
    where = f"{label}: the config does not fit {cls.__name__}: field"
    for name in config:
        if name not in fields:
            raise RegistryError(f"{where} {name!r} is not one of its arguments ({', '.join(fields)})")
    for name, param in fields.items():
        if param.default is param.empty and name not in config:
            raise RegistryError(f"{where} {name!r} is missing (it has no default)")
    hints = _annotations(cls)
    constraints: Mapping[str, Size] = getattr(cls, "config_constraints", {})
    for name, value in config.items():
        if name in hints and _fits(value, hints[name]) is False:
            raise RegistryError(
                f"{where} {name!r} must be {_describe(hints[name])}, not {value!r} ({type(value).__name__})"
            )
        size = constraints.get(name)
        if size is None or value is None:
            continue
        for item in value if isinstance(value, (list, tuple)) else [value]:
            if not _is_int(item):
                raise RegistryError(f"{where} {name!r} must be an integer size, not {item!r}")
            problem = size.problem(item)
            if problem:
                each = "every entry of " if isinstance(value, (list, tuple)) else ""
                raise RegistryError(f"{where} {name!r}: {each}it must be {problem}, not {value!r}")


def _annotations(cls: type) -> dict[str, Any]:
    """``__init__``'s resolved annotations; none when they cannot be resolved (then types go unchecked)."""
    try:
        return typing.get_type_hints(cls.__init__)
    except Exception:  # an annotation naming something only imported for type checkers
        return {}


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _fits(value: Any, annotation: Any) -> bool | None:
    """Whether ``value`` has the annotated type; ``None`` for annotations this check does not know."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        answers = [_fits(value, arg) for arg in args]
        return True if True in answers else (None if None in answers else False)
    if annotation is type(None):
        return value is None
    if annotation is bool:
        return isinstance(value, bool)
    if annotation is int:
        return _is_int(value)
    if annotation is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if annotation is str:
        return isinstance(value, str)
    if origin is list and len(args) == 1 or origin is tuple and args[1:] == (Ellipsis,):
        if not isinstance(value, (list, tuple)):
            return False
        answers = {_fits(item, args[0]) for item in value}
        return False if False in answers else (None if None in answers else True)
    return None


def _describe(annotation: Any) -> str:
    """``int``, ``list[int]``, ``str or None``: the type as a config author reads it."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return " or ".join(_describe(arg) for arg in typing.get_args(annotation))
    if annotation is type(None):
        return "None (null)"
    if isinstance(annotation, type) and not typing.get_args(annotation):
        return annotation.__name__
    return str(annotation).replace("typing.", "")
