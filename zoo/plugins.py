"""Plugin discovery: one pluggy PluginManager fed by the ``gan_zoo`` entry-point group.

A plugin that fails to import is recorded with its error (``zoo plugins`` shows it) and never
breaks the others. Built-in plugins are found exactly like third-party ones. Hooks are called one plugin
at a time: a plugin that raises in a registration hook is marked failed (``call_each``), one that raises
in a training event is reported and gets no more events in that run (``TrainingEvents``).
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import logging
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any

import pluggy

from zoo import hookspecs
from zoo.errors import PluginError, ZooError

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "gan_zoo"
#: set to 1 to make a plugin that raises in a training event stop the run (for plugin authors)
STRICT_ENV = "ZOO_STRICT_PLUGINS"

#: an entry point's module that takes longer to import slows every ``zoo`` command (discovery imports it)
SLOW_IMPORT_MS = 200.0
#: what a plugin whose discovery is heavy must do
LIGHT_DISCOVERY = (
    "move torch imports into the functions that need them; discovery imports only the hook module"
)


@dataclass(frozen=True)
class PluginInfo:
    """What ``zoo plugins`` shows about one entry point, with what importing its module cost."""

    name: str
    module: str
    distribution: str
    version: str
    status: str  # "ok" or "failed"
    error: str = ""
    import_ms: float = 0.0  # time to import the entry point's module during discovery
    imported_torch: bool = False  # importing that module pulled torch into the process

    @property
    def heavy(self) -> str:
        """Why this plugin makes discovery (every ``zoo`` command) slow, or "" when it is light."""
        causes = [f"its import took {self.import_ms:.0f} ms"] if self.import_ms > SLOW_IMPORT_MS else []
        if self.imported_torch:
            causes.append("it imported torch")
        if not causes:
            return ""
        return (
            f"plugin {self.name!r} ({self.module}) makes discovery slow: {' and '.join(causes)} "
            f"(budget {SLOW_IMPORT_MS:.0f} ms, no torch): {LIGHT_DISCOVERY}"
        )


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


def call_each(hook: str, **kwargs: Any) -> Iterator[tuple[str, list[Any]]]:
    """Call ``hook`` of each plugin on its own, through pluggy (so tracing and the plugin's own wrappers
    apply); yield each plugin's name with what it registered (the hook's ``register`` argument is
    supplied when its spec takes one). A plugin that raises is marked failed (``zoo plugins`` shows its
    error) and skipped, so a broken plugin never breaks the others."""
    pm = manager()
    caller = getattr(pm.hook, hook)
    for impl in caller.get_hookimpls():
        found: list[Any] = []
        extra = {"register": found.append} if "register" in caller.spec.argnames else {}
        try:
            _call_alone(pm, hook, impl.plugin, {**kwargs, **extra})
        except Exception as exc:
            mark_failed(impl.plugin_name, exc)
            continue
        yield impl.plugin_name, found


class TrainingEvents:
    """A run's training events (``on_train_start``, ``on_step_end``, ...), called one plugin at a time.

    A plugin that raises is reported (a warning naming the plugin, the hook and the error) and gets no
    more events in this run; training goes on, since an observer's bug must not cost the run. With
    ``ZOO_STRICT_PLUGINS=1`` the error stops the run instead. A ``ZooError`` (a ``DataError`` for bad
    validation data, say) is a plugin refusing the run on purpose: it always stops it, as raised.
    """

    def __init__(self) -> None:
        self.disabled: set[str] = set()

    def __call__(self, hook: str, **kwargs: Any) -> None:
        """Call ``hook`` of each plugin that implements it and has not failed in this run."""
        pm = manager()
        for impl in getattr(pm.hook, hook).get_hookimpls():
            name = impl.plugin_name
            if name in self.disabled:
                continue
            try:
                _call_alone(pm, hook, impl.plugin, kwargs)
            except ZooError:
                raise
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"
                if os.environ.get(STRICT_ENV, "0") not in ("", "0"):
                    raise PluginError(
                        f"plugin {name!r} failed in {hook}: {error} (fatal because {STRICT_ENV} is set; "
                        "without it the plugin is disabled for the rest of the run and training goes on)"
                    ) from exc
                self.disabled.add(name)
                log.warning(
                    "plugin %r failed in %s: %s; it is disabled for the rest of this run and training "
                    "goes on (set %s=1 to make this fatal)",
                    name,
                    hook,
                    error,
                    STRICT_ENV,
                )


def _call_alone(pm: pluggy.PluginManager, hook: str, plugin: object, kwargs: dict[str, Any]) -> Any:
    """``hook`` of ``plugin`` only, through pluggy (so tracing and the plugin's own wrappers apply)."""
    others = [p for p in pm.get_plugins() if p is not plugin]
    return pm.subset_hook_caller(hook, remove_plugins=others)(**kwargs)


def _load_entry_points(pm: pluggy.PluginManager) -> list[PluginInfo]:
    infos = []
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        dist = ep.dist.name if ep.dist else "?"
        version = ep.dist.version if ep.dist else "?"
        had_torch, start = "torch" in sys.modules, time.perf_counter()
        status, error = "ok", ""
        try:
            module = importlib.import_module(ep.value.split(":")[0])
            pm.register(module, name=ep.name)
        except Exception as exc:  # a broken plugin must not break the others
            log.warning("plugin %r (%s) failed to load: %s: %s", ep.name, dist, type(exc).__name__, exc)
            status, error = "failed", f"{type(exc).__name__}: {exc}"
        cost = {
            "import_ms": (time.perf_counter() - start) * 1000,
            "imported_torch": not had_torch and "torch" in sys.modules,
        }
        infos.append(PluginInfo(ep.name, ep.value, dist, version, status, error, **cost))
        if cost["imported_torch"]:
            log.warning("%s", infos[-1].heavy)
    return infos


def reset() -> None:
    """Forget discovered plugins (``zoo.registry.reset`` calls this, after plugins change)."""
    manager.cache_clear()
    _INFOS.clear()
