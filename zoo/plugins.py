"""Plugin discovery: one pluggy PluginManager fed by the ``gan_zoo`` entry-point group.

A plugin that fails to import is recorded with its error (``zoo plugins`` shows it) and never
breaks the others. Built-in plugins are found exactly like third-party ones.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import logging
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any

import pluggy

from zoo import hookspecs

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "gan_zoo"


@dataclass(frozen=True)
class PluginInfo:
    """What ``zoo plugins`` shows about one entry point."""

    name: str
    module: str
    distribution: str
    version: str
    status: str  # "ok" or "failed"
    error: str = ""


@functools.cache
def manager() -> pluggy.PluginManager:
    """The process-wide plugin manager, built on first use."""
    pm = pluggy.PluginManager("gan_zoo")
    pm.add_hookspecs(hookspecs)
    for info in _load_entry_points(pm):
        _INFOS.append(info)
    return pm


_INFOS: list[PluginInfo] = []


def plugin_infos() -> list[PluginInfo]:
    """Every discovered plugin, loaded or failed, sorted by name."""
    manager()
    return sorted(_INFOS, key=lambda p: p.name)


def mark_failed(name: str, exc: BaseException) -> None:
    """Record that plugin ``name`` raised in a registration hook: ``zoo plugins`` shows it as failed."""
    error = f"{type(exc).__name__}: {exc}"
    log.warning("plugin %r failed in a registration hook: %s", name, error)
    for i, info in enumerate(_INFOS):
        if info.name == name:
            _INFOS[i] = dataclasses.replace(info, status="failed", error=error)
            return
    _INFOS.append(PluginInfo(name, "?", "?", "?", "failed", error))


def call_guarded(impl: pluggy.HookImpl, **kwargs: Any) -> bool:
    """Call one plugin's implementation of a hook; a plugin that raises is marked failed (``zoo plugins``
    shows its error) and ``False`` returned, so a broken plugin never breaks the others."""
    try:
        impl.function(**kwargs)
    except Exception as exc:
        mark_failed(impl.plugin_name, exc)
        return False
    return True


def _load_entry_points(pm: pluggy.PluginManager) -> list[PluginInfo]:
    infos = []
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        dist = ep.dist.name if ep.dist else "?"
        version = ep.dist.version if ep.dist else "?"
        try:
            module = importlib.import_module(ep.value.split(":")[0])
            pm.register(module, name=ep.name)
        except Exception as exc:  # a broken plugin must not break the others
            log.warning("plugin %r (%s) failed to load: %s: %s", ep.name, dist, type(exc).__name__, exc)
            infos.append(
                PluginInfo(ep.name, ep.value, dist, version, "failed", f"{type(exc).__name__}: {exc}")
            )
            continue
        infos.append(PluginInfo(ep.name, ep.value, dist, version, "ok"))
    return infos


def reset() -> None:
    """Forget discovered plugins (tests that install a plugin call this to rediscover)."""
    manager.cache_clear()
    _INFOS.clear()
    from zoo import registry

    registry.reset()
