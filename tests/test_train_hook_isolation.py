"""A plugin that raises in a training event is reported and disabled for the run; training goes on
(``ZOO_STRICT_PLUGINS=1``: the run stops with an error naming the plugin)."""

from __future__ import annotations

import json
import logging

import pytest

import zoo
from zoo.errors import PluginError
from zoo.plugins import manager
from zoo.trainer import train


class Flaky:
    """Records every event; raises in ``failing`` (on step 2 for the per-step events)."""

    def __init__(self, failing: str) -> None:
        self.failing, self.calls = failing, []

    def _event(self, hook: str, step: int) -> None:
        self.calls.append((hook, step))
        if hook == self.failing and (step == 2 or hook in ("on_train_start", "on_train_end")):
            raise RuntimeError(f"boom in {hook} at step {step}")

    @zoo.hookimpl
    def on_train_start(self, trainer):
        self._event("on_train_start", trainer.step)

    @zoo.hookimpl
    def on_step_end(self, trainer, step):
        self._event("on_step_end", step)

    @zoo.hookimpl
    def on_checkpoint(self, trainer):
        self._event("on_checkpoint", trainer.step)

    @zoo.hookimpl
    def on_train_end(self, trainer):
        self._event("on_train_end", trainer.step)


@pytest.fixture
def plugins():
    """``plugins(name=plugin, ...)`` registers in-process plugins, unregistered after the test."""
    names: list[str] = []

    def register(**named) -> None:
        for name, plugin in named.items():
            manager().register(plugin, name=name)
            names.append(name)

    yield register
    for name in names:
        manager().unregister(name=name)


def failures(caplog) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno == logging.WARNING and "test-flaky" in r.getMessage()
    ]


def test_a_plugin_failing_on_step_2_is_disabled_and_training_goes_on(toy_recipe, plugins, caplog):
    flaky, healthy = Flaky("on_step_end"), Flaky("none")
    plugins(**{"test-flaky": flaky, "test-healthy": healthy})
    run = train(toy_recipe, steps=5, checkpoint_every=2, sample_every=0)
    assert (
        json.loads((run / "config.json").read_text())["steps"] == 5 and (run / "model.safetensors").is_file()
    )
    assert flaky.calls == [("on_train_start", 0), ("on_step_end", 1), ("on_step_end", 2)]  # nothing after
    assert [c for c in healthy.calls if c[0] == "on_step_end"] == [("on_step_end", s) for s in range(1, 6)]
    assert healthy.calls[-1] == ("on_train_end", 5)
    (warning,) = failures(caplog)
    assert (
        "'test-flaky' failed in on_step_end" in warning
        and "RuntimeError: boom in on_step_end at step 2" in warning
    )
    assert "disabled" in warning and "ZOO_STRICT_PLUGINS" in warning


@pytest.mark.parametrize(
    "hook, step", [("on_train_start", 0), ("on_step_end", 2), ("on_checkpoint", 2), ("on_train_end", 3)]
)
def test_no_training_event_that_raises_stops_the_run(toy_recipe, plugins, caplog, hook, step):
    flaky = Flaky(hook)
    plugins(**{"test-flaky": flaky})
    run = train(toy_recipe, steps=3, checkpoint_every=2, sample_every=0)
    assert json.loads((run / "config.json").read_text())["steps"] == 3
    assert flaky.calls[-1] == (hook, step)  # the failing call was the plugin's last event
    (warning,) = failures(caplog)
    assert f"'test-flaky' failed in {hook}: RuntimeError: boom in {hook} at step {step}" in warning


def test_strict_plugins_make_the_failure_fatal(toy_recipe, plugins, monkeypatch):
    monkeypatch.setenv("ZOO_STRICT_PLUGINS", "1")
    plugins(**{"test-flaky": Flaky("on_step_end")})
    with pytest.raises(PluginError, match=r"plugin 'test-flaky' failed in on_step_end: RuntimeError: boom"):
        train(toy_recipe, steps=5, sample_every=0)
