"""``--set KEY=VALUE`` overrides of a config: one parser for every command that takes them.

``KEY`` is dotted (``optimizers.generator.lr``; a flat key is a dotted key of one part), ``VALUE`` is read as
YAML (numbers, booleans, ``null``, lists, mappings, otherwise a string), except that a number with an exponent
and no dot (``1e-4``), which YAML 1.1 reads as a string, is a float, at any depth (``[1e-4, 2e-4]``).
"""

from __future__ import annotations

import re
from collections.abc import MutableMapping
from typing import Any

import yaml

from zoo.errors import ZooError


class OverrideError(ZooError, ValueError):
    """A ``--set`` override is not ``KEY=VALUE`` or does not fit the config."""


class _Loader(yaml.SafeLoader):
    """YAML's safe loader with YAML 1.2's floats: ``1e-4`` is a number."""


_FLOAT = "tag:yaml.org,2002:float"
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _FLOAT]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    _FLOAT,
    re.compile(
        r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
        |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
        |[-+]?\.[0-9_]+(?:[eE][-+]?[0-9]+)?
        |[-+]?\.(?:inf|Inf|INF)
        |\.(?:nan|NaN|NAN))$""",
        re.X,
    ),
    list("-+0123456789."),
)

_EXAMPLE = "e.g. --set optimizers.generator.lr=1e-4"


def parse_override(text: str) -> tuple[str, Any]:
    """``"a.b.c=VALUE"`` as ``("a.b.c", value)``, the value read as YAML (see the module doc)."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise OverrideError(f"--set {text!r}: expected KEY=VALUE, {_EXAMPLE}")
    if any(not part.strip() for part in key.split(".")):
        raise OverrideError(f"--set {text!r}: the key {key!r} has an empty part; write names joined by dots")
    if not raw.strip():
        raise OverrideError(f"--set {text!r}: no value; write {key}=null for none, {key}='' for empty text")
    try:
        value = yaml.load(raw, Loader=_Loader)  # a SafeLoader
    except yaml.YAMLError as exc:
        raise OverrideError(f"--set {text!r}: the value is not valid YAML ({exc})") from exc
    return ".".join(part.strip() for part in key.split(".")), value


def apply_override(mapping: MutableMapping[str, Any], text: str) -> None:
    """Set ``text`` (``a.b.c=VALUE``) in the nested ``mapping``, creating the mappings on the way."""
    key, value = parse_override(text)
    *parents, leaf = key.split(".")
    node = mapping
    for part in parents:
        child = node.setdefault(part, {})
        if not isinstance(child, MutableMapping):
            raise OverrideError(f"--set {text!r}: {part!r} holds {child!r}, not a mapping")
        node = child
    node[leaf] = value
