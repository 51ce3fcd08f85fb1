"""The model registry: the variants and named models every installed plugin registers.

Built-in and third-party plugins register alike, through the ``register_variants`` and
``register_models`` hooks; the core reads no catalogue of its own. Each plugin's hooks are called on
their own (``zoo.plugins.call_each``): one that raises, or registers a malformed entry, is reported by
``zoo plugins`` and its registrations dropped; the other plugins are unaffected. Reading the registry
never imports torch.
"""

from __future__ import annotations

import difflib
import fnmatch
import functools
import re
from typing import Any

from zoo.entries import ModelEntry, Variant, entry_from_dict
from zoo.errors import RegistryError, UnknownModelError
from zoo.plugins import call_each, mark_failed


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
    """Every plugin's variants and models (cached until ``reset``)."""
    variants: dict[str, Variant] = {}
    failed: set[str] = set()
    for plugin, found in call_each("register_variants"):
        try:
            checked = [_checked_variant(plugin, v, variants) for v in found]
        except RegistryError as exc:
            mark_failed(plugin, exc)
            failed.add(plugin)
            continue
        variants.update((v.name, v) for v in checked)

    entries: list[ModelEntry] = []
    for plugin, found in call_each("register_models"):
        if plugin in failed:
            continue
        try:
            checked_entries = [_checked_entry(plugin, e) for e in found]
        except RegistryError as exc:
            mark_failed(plugin, exc)
            continue
        entries.extend(checked_entries)
    return Registry(variants, entries)


def _checked_variant(plugin: str, variant: Any, known: dict[str, Variant]) -> Variant:
    if not isinstance(variant, Variant):
        raise RegistryError(f"register_variants was given {variant!r}: pass zoo.Variant(...) objects")
    if variant.name in known:
        raise RegistryError(
            f"variant {variant.name!r} is registered by two plugins: {known[variant.name].plugin!r} and "
            f"{plugin!r}; uninstall one of them"
        )
    return Variant(**{**variant.__dict__, "plugin": plugin})


def _checked_entry(plugin: str, entry: ModelEntry | dict[str, Any]) -> ModelEntry:
    """An entry as registered by ``plugin``: dicts validated, the registering plugin recorded."""
    if isinstance(entry, dict):
        data = dict(entry)
        entry = entry_from_dict(data.pop("name", "?"), data, f"plugin {plugin!r}")
    if not isinstance(entry, ModelEntry):
        raise RegistryError(
            f"register_models was given {entry!r}: pass zoo.ModelEntry objects or dicts of "
            "registry.yaml fields"
        )
    source = entry.source or f"plugin {plugin!r}"
    return ModelEntry(**{**entry.__dict__, "plugin": plugin, "source": source})


def reset() -> None:
    """Forget the cached registry (after plugins are registered or unregistered); ``zoo.plugins.reset``
    forgets the discovered plugins themselves."""
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
    if entry.is_released:
        out["released_original"] = released_note(entry, out["paper"])
    return out


def released_note(entry: ModelEntry, paper: str) -> dict[str, str]:
    """What ``zoo info`` says of a released original: where its weights come from and its quality."""
    link = re.sub(r"arXiv:(\d+\.\d+)", r"https://arxiv.org/abs/\1", paper)
    return {
        "weights": f"the original project's released file {entry.weights.url} (licence {entry.license}), "
        "converted on first use: downloaded once into gan-zoo's cache (ZOO_CACHE), its sha256 recorded "
        f"and checked on every load; offline: `zoo download {entry.name} --file FILE.pth`",
        "quality": f"no number measured here: see the paper, {link}",
    }
