"""What plugins register: variants (how to build and train a GAN) and named model entries (metadata).

These are plain data, read without importing torch or a plugin's networks. ``models_from_yaml`` is the
public helper a plugin uses to register the models of a YAML catalogue it ships.
"""

from __future__ import annotations

import copy
import functools
import importlib
import os
import re
from collections.abc import Collection
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from zoo.errors import RegistryError


@dataclass(frozen=True)
class Variant:
    """A GAN variant a plugin provides: how to build it and how to train it.

    ``model`` and ``training_step`` are ``"module:attribute"`` paths, imported only when used, so a
    plugin module that registers variants stays light.
    """

    name: str
    model: str
    training_step: str
    task: str = "generate"
    summary: str = ""
    paper: str = ""
    data: str = "folder"  # the dataset kind a bare folder (``--data DIR``) is read as: folder, paired, ...
    recipe: str = ""  # "module:attribute" of the recipe fields ``zoo train VARIANT`` starts from (paper's)
    plugin: str = ""  # filled in by the registry: the entry-point name that registered it

    def model_class(self) -> type:
        """Import and return the model class (an ``nn.Module`` subclass of ``zoo.model.GANModel``)."""
        return import_path(self.model)

    def step_function(self):
        """Import and return the training step ``fn(model, batch, ctx, **options) -> dict``."""
        return import_path(self.training_step)

    def default_recipe(self) -> dict[str, Any]:
        """A fresh copy of the recipe fields the variant trains with when no recipe file is given."""
        if not self.recipe:
            return {}
        fields = import_path(self.recipe)
        if not isinstance(fields, dict):
            raise RegistryError(f"variant {self.name!r}: recipe {self.recipe!r} is not a mapping of fields")
        return copy.deepcopy(fields)


@dataclass(frozen=True)
class Weights:
    """Where a pretrained entry's weights live and how to check them."""

    repo: str | None = None  # Hub repo id, e.g. "gan-zoo/dcgan-mnist"
    revision: str = "main"  # a pinned commit sha where the repo is published
    file: str = "model.safetensors"
    sha256: str | None = None  # checked on every load
    bundled: str | None = None  # path relative to the catalogue file, shipped with the package
    url: str | None = None  # a released original's file (http/https), converted on first use (zoo.originals)
    url_sha256: str | None = None  # that file's sha256 where known; else recorded at first download


@dataclass(frozen=True)
class ModelEntry:
    """A named model: a variant, the config its networks are built from, and its weights."""

    name: str
    variant: str
    config: dict[str, Any] = field(default_factory=dict)
    weights: Weights | None = None
    task: str = "generate"
    summary: str = ""
    default: bool = False  # the variant's name alone ("dcgan") resolves to its default entry
    params: str = ""
    license: str = ""
    metrics: dict[str, Any] = field(default_factory=dict)
    recipe: str = ""  # training config that reproduces the weights
    plugin: str = ""  # the plugin that registered the entry (filled in by the registry)
    source: str = ""  # the catalogue file (or plugin) the entry came from

    @property
    def qualified_name(self) -> str:
        return f"{self.plugin}:{self.name}"

    @property
    def is_released(self) -> bool:
        """Whether the weights are an original project's released file (``weights.url``), converted on
        first use (``zoo.originals``)."""
        return self.weights is not None and self.weights.url is not None

    @property
    def recipe_path(self) -> Path | None:
        """The training recipe file (relative paths are taken from the catalogue the entry came from)."""
        if not self.recipe:
            return None
        recipe = Path(self.recipe)
        return recipe if recipe.is_absolute() else Path(self.source).parent / recipe


def import_path(path: str):
    module, _, attr = path.partition(":")
    if not attr:
        raise RegistryError(f"{path!r} is not a 'module:attribute' path")
    return getattr(importlib.import_module(module), attr)


_REQUIRED = {"variant": str}
_TYPES = {
    "config": dict,
    "weights": dict,
    "task": str,
    "summary": str,
    "default": bool,
    "params": str,
    "license": str,
    "metrics": dict,
    "recipe": str,
}
_WEIGHT_TYPES = {
    "repo": str,
    "revision": str,
    "file": str,
    "sha256": str,
    "bundled": str,
    "url": str,
    "url_sha256": str,
}
_SHA256 = re.compile(r"[0-9a-fA-F]{64}")


def entry_from_dict(name: str, data: Any, source: str, base_dir: Path | None = None) -> ModelEntry:
    """Validate one catalogue entry and build a ``ModelEntry``; errors name the entry and field."""
    where = f"model {name!r} in {source}"
    if not isinstance(data, dict):
        raise RegistryError(f"{where}: expected a mapping of fields, got {type(data).__name__}")
    for key in _REQUIRED:
        if key not in data:
            raise RegistryError(f"{where}: missing required field {key!r} (add e.g. `{key}: dcgan`)")
    known = {f.name for f in fields(ModelEntry)}
    for key, value in data.items():
        if key not in known or key in ("name", "plugin", "source"):
            raise RegistryError(f"{where}: unknown field {key!r}; allowed: {sorted(_TYPES | _REQUIRED)}")
        typ = _TYPES.get(key) or _REQUIRED.get(key)
        if value is not None and typ is not None and not isinstance(value, typ):
            raise RegistryError(
                f"{where}: field {key!r} must be {typ.__name__}, got {type(value).__name__} ({value!r})"
            )
    weights = None
    if data.get("weights") is not None:
        w = dict(data["weights"])
        for key, value in w.items():
            typ = _WEIGHT_TYPES.get(key)
            if typ is None:
                raise RegistryError(
                    f"{where}: unknown weights field {key!r}; allowed: {sorted(_WEIGHT_TYPES)}"
                )
            if value is not None and not isinstance(value, typ):
                raise RegistryError(f"{where}: weights.{key} must be {typ.__name__}, got {value!r}")
        _check_url(w, where)
        if w.get("bundled") and base_dir is not None:
            w["bundled"] = _inside(base_dir, w["bundled"], where, "weights.bundled")
        weights = Weights(**w)
    rest = {k: v for k, v in data.items() if k != "weights" and v is not None}
    if rest.get("recipe") and base_dir is not None:
        rest["recipe"] = _inside(base_dir, rest["recipe"], where, "recipe")
    return ModelEntry(name=name, weights=weights, source=source, **rest)


def _check_url(weights: dict[str, Any], where: str) -> None:
    """A released original's ``url`` is http(s), its ``url_sha256`` 64 hex digits, and the entry names no
    Hub repo or bundled file besides (its weights are the converted original, nothing else)."""
    url, digest = weights.get("url"), weights.get("url_sha256")
    if digest is not None and not url:
        raise RegistryError(f"{where}: weights.url_sha256 is the hash of weights.url: give the url too")
    if url is None:
        return
    if not url.startswith(("http://", "https://")):
        raise RegistryError(f"{where}: weights.url must be an http:// or https:// address, not {url!r}")
    if digest is not None and not _SHA256.fullmatch(digest):
        raise RegistryError(f"{where}: weights.url_sha256 must be 64 hex digits (a sha256), not {digest!r}")
    others = [key for key in ("repo", "bundled", "sha256") if weights.get(key)]
    if others:
        raise RegistryError(
            f"{where}: weights.url (a released original, converted on first use) goes without "
            f"{', '.join('weights.' + k for k in others)}: the converted file is checked against the "
            "hash recorded when it is made"
        )


def models_from_yaml(path: str | Path, variants: Collection[str] | None = None) -> list[ModelEntry]:
    """The entries of a ``registry.yaml``-style file (``models: {name: {variant: ..., ...}}``), validated.

    A plugin's ``register_models`` hook passes each to ``register``. ``variants`` keeps only the entries
    of those variants (unvalidated others are skipped, so one plugin's bad entry never breaks another's).
    Relative ``weights.bundled`` and ``recipe`` paths are resolved against the file's folder and must
    stay inside it.
    """
    path = Path(path)
    try:
        stat = path.stat()
    except OSError as exc:
        raise RegistryError(f"cannot read the model catalogue {path}: {exc}") from exc
    data = _read_yaml(path, stat.st_mtime_ns, stat.st_size)
    if not isinstance(data, dict) or not isinstance(data.get("models"), dict):
        raise RegistryError(f"{path}: expected a top-level mapping `models: {{name: {{...}}}}`")
    return [
        entry_from_dict(name, fields_, str(path), path.parent)
        for name, fields_ in data["models"].items()
        if variants is None or not isinstance(fields_, dict) or fields_.get("variant") in variants
    ]


@functools.lru_cache(maxsize=32)
def _read_yaml(path: Path, mtime_ns: int, size: int) -> Any:
    """A YAML file parsed once per version (the built-in plugins each read the one catalogue), with
    libyaml's safe loader where available: ``zoo list`` must stay fast. Callers must not mutate it."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return yaml.load(path.read_text(), Loader=loader)  # noqa: S506 (a safe loader)
    except OSError as exc:
        raise RegistryError(f"cannot read the model catalogue {path}: {exc}") from exc
    except yaml.YAMLError as exc:
        raise RegistryError(f"{path}: not valid YAML: {exc}") from exc


def _inside(base_dir: Path, relative: str, where: str, field_name: str) -> str:
    """``relative`` joined to ``base_dir``, refused when it leaves that folder (``../../etc/passwd``)."""
    joined = Path(os.path.normpath(base_dir / relative))
    if Path(relative).is_absolute() or not joined.is_relative_to(os.path.normpath(base_dir)):
        raise RegistryError(
            f"{where}: {field_name} {relative!r} points outside {base_dir}; give a path relative to the "
            "catalogue's folder, inside the plugin's package"
        )
    return str(joined)
