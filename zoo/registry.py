"""The model registry: variants registered by plugins and named model entries.

Entries come from the root ``registry.yaml`` (the built-in catalogue) and from plugins'
``register_models`` hooks. Reading the registry never imports torch or a plugin's networks.
"""

from __future__ import annotations

import copy
import difflib
import fnmatch
import functools
import importlib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from zoo.errors import RegistryError, UnknownModelError

#: The built-in catalogue, at the repository root next to the ``zoo`` package.
BUILTIN_CATALOGUE = Path(__file__).resolve().parent.parent / "registry.yaml"


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
        return _import_path(self.model)

    def step_function(self):
        """Import and return the training step ``fn(model, batch, ctx, **options) -> dict``."""
        return _import_path(self.training_step)

    def default_recipe(self) -> dict[str, Any]:
        """A fresh copy of the recipe fields the variant trains with when no recipe file is given."""
        if not self.recipe:
            return {}
        fields = _import_path(self.recipe)
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
    plugin: str = ""  # the plugin that owns the variant (filled in by the registry)
    source: str = ""  # the catalogue file (or plugin) the entry came from

    @property
    def qualified_name(self) -> str:
        return f"{self.plugin}:{self.name}"

    @property
    def recipe_path(self) -> Path | None:
        """The training recipe file, relative to the catalogue the entry came from."""
        if not self.recipe:
            return None
        recipe = Path(self.recipe)
        return recipe if recipe.is_absolute() else (Path(self.source).parent / recipe).resolve()


def _import_path(path: str):
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
_WEIGHT_TYPES = {"repo": str, "revision": str, "file": str, "sha256": str, "bundled": str}


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
        if w.get("bundled") and base_dir is not None:
            w["bundled"] = str((base_dir / w["bundled"]).resolve())
        weights = Weights(**w)
    rest = {k: v for k, v in data.items() if k != "weights" and v is not None}
    return ModelEntry(name=name, weights=weights, source=source, **rest)


def read_catalogue(path: Path) -> list[ModelEntry]:
    """Read a ``registry.yaml``-style file: ``models: {name: {variant: ..., ...}}``."""
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise RegistryError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("models"), dict):
        raise RegistryError(f"{path}: expected a top-level mapping `models: {{name: {{...}}}}`")
    return [
        entry_from_dict(name, fields_, str(path), path.parent) for name, fields_ in data["models"].items()
    ]


class Registry:
    """Variants and model entries from every plugin, with name resolution."""

    def __init__(self, variants: dict[str, Variant], entries: list[ModelEntry]):
        self.variants = variants
        self.entries = entries

    def find(self, name: str) -> ModelEntry:
        """Resolve ``name``, ``plugin:name`` or a variant alias to one entry, or raise a clear error."""
        plugin, _, bare = name.rpartition(":")
        matches = [e for e in self.entries if e.name == bare and plugin in ("", e.plugin)]
        if not matches:
            matches = [
                e for e in self.entries if e.variant == bare and e.default and plugin in ("", e.plugin)
            ]
        if len(matches) > 1:
            owners = ", ".join(f"{e.qualified_name} (from {e.source})" for e in matches)
            raise RegistryError(
                f"model name {bare!r} is claimed by several plugins: {owners}. "
                f"Pick one with 'plugin:name', e.g. {matches[0].qualified_name!r}."
            )
        if not matches and bare in self.variants:
            models = ", ".join(e.name for e in self.entries if e.variant == bare) or "none yet"
            raise UnknownModelError(
                f"the variant {bare!r} has no default model; name one of its models ({models}). "
                "`zoo list` shows every model"
            )
        if not matches:
            names = sorted({e.name for e in self.entries} | set(self.variants))
            close = difflib.get_close_matches(bare, names, n=3, cutoff=0.5)
            hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
            raise UnknownModelError(f"unknown model {name!r}.{hint} `zoo list` shows every model.")
        return matches[0]

    def variant(self, name: str) -> Variant:
        try:
            return self.variants[name]
        except KeyError:
            known = ", ".join(sorted(self.variants)) or "none"
            raise UnknownModelError(
                f"no installed plugin provides the variant {name!r} (installed: {known}); "
                "`zoo plugins` shows which plugins loaded and which failed."
            ) from None

    def list(self, pattern: str = "*") -> list[ModelEntry]:
        """Entries whose name matches a shell-style wildcard, sorted by name."""
        return sorted((e for e in self.entries if fnmatch.fnmatch(e.name, pattern)), key=lambda e: e.name)


@functools.cache
def registry() -> Registry:
    """Build the registry from every plugin's hooks and the built-in catalogue (cached)."""
    from zoo.plugins import manager

    pm = manager()
    variants: dict[str, Variant] = {}

    def add_variant(plugin: str, variant: Variant) -> None:
        if variant.name in variants:
            other = variants[variant.name].plugin
            raise RegistryError(
                f"variant {variant.name!r} is registered by two plugins: {other!r} and {plugin!r}"
            )
        variants[variant.name] = Variant(**{**variant.__dict__, "plugin": plugin})

    for impl in pm.hook.register_variants.get_hookimpls():
        found: list[Variant] = []
        if _call_register_hook(impl, found.append):
            for variant in found:
                add_variant(impl.plugin_name, variant)

    entries: list[ModelEntry] = []
    if BUILTIN_CATALOGUE.exists():
        entries.extend(read_catalogue(BUILTIN_CATALOGUE))
    for impl in pm.hook.register_models.get_hookimpls():
        added: list[ModelEntry] = []

        def add_entry(entry: ModelEntry | dict, _n: str = impl.plugin_name, _to: list = added) -> None:
            if isinstance(entry, dict):
                data = dict(entry)
                entry = entry_from_dict(data.pop("name", "?"), data, f"plugin {_n!r}")
            _to.append(
                entry if entry.source else ModelEntry(**{**entry.__dict__, "source": f"plugin {_n!r}"})
            )

        if _call_register_hook(impl, add_entry):
            entries.extend(added)

    owned = []
    for entry in entries:
        owner = variants[entry.variant].plugin if entry.variant in variants else "?"
        owned.append(ModelEntry(**{**entry.__dict__, "plugin": owner}))
    return Registry(variants, owned)


def _call_register_hook(impl: Any, register: Any) -> bool:
    """Run one plugin's ``register_*`` hook; a plugin that raises is marked failed and its registrations
    dropped, so a broken plugin never breaks the others."""
    try:
        impl.function(register=register)
    except Exception as exc:
        from zoo.plugins import mark_failed

        mark_failed(impl.plugin_name, exc)
        return False
    return True


def reset() -> None:
    """Forget the cached registry (after plugins change)."""
    registry.cache_clear()


def describe(name: str) -> dict[str, Any]:
    """A plain-dict view of an entry for ``zoo info`` and ``zoo.info``."""
    reg = registry()
    entry = reg.find(name)
    variant = reg.variants.get(entry.variant)
    out: dict[str, Any] = {
        "name": entry.name,
        "plugin": entry.plugin,
        "variant": entry.variant,
        "task": entry.task,
        "summary": entry.summary,
        "paper": variant.paper if variant else "",
        "params": entry.params,
        "license": entry.license,
        "config": entry.config,
        "weights": dict(entry.weights.__dict__) if entry.weights else None,
        "metrics": entry.metrics,
        "recipe": entry.recipe,
        "source": entry.source,
    }
    return out
