"""What a run reports outward: plugin hooks, TensorBoard events, periodic metrics."""

from __future__ import annotations

import importlib.util
import json

import pytest

import zoo
from zoo.errors import DataError
from zoo.plugins import manager
from zoo.trainer import train


class Recorder:
    """A plugin registered in-process that notes every trainer event."""

    def __init__(self) -> None:
        self.events: list[tuple] = []

    @zoo.hookimpl
    def on_train_start(self, trainer):
        self.events.append(("start", trainer.step))

    @zoo.hookimpl
    def on_step_end(self, trainer, step, metrics):
        self.events.append(("step", step, sorted(metrics)))

    @zoo.hookimpl
    def on_checkpoint(self, trainer, path):
        self.events.append(("checkpoint", trainer.step, path))

    @zoo.hookimpl
    def on_train_end(self, trainer):
        self.events.append(("end", trainer.step, (trainer.run_dir / "model.safetensors").exists()))


def test_plugin_receives_trainer_events(toy_recipe):
    recorder = Recorder()
    manager().register(recorder, name="test-recorder")
    try:
        run = train(toy_recipe, steps=10, log_every=5, checkpoint_every=4, sample_every=0)
    finally:
        manager().unregister(name="test-recorder")
    events = recorder.events
    assert events[0] == ("start", 0) and events[-1] == ("end", 10, True)
    steps = [e for e in events if e[0] == "step"]
    assert [e[1] for e in steps] == list(range(1, 11))
    logged = ["d_fake", "d_real", "img_per_s", "loss_d", "loss_g"]
    assert [e[2] for e in steps] == [[], [], [], [], logged] * 2  # floats on log steps only
    checkpoint = str(run / "checkpoint.pt")
    assert [e for e in events if e[0] == "checkpoint"] == [("checkpoint", s, checkpoint) for s in (4, 8, 10)]


def test_tensorboard_events_only_when_installed(toy_recipe):
    run = train(toy_recipe, steps=5)
    board = run / "tensorboard"
    if importlib.util.find_spec("tensorboard") is None:
        assert not board.exists()  # and the run went through without it
    else:
        assert any(p.name.startswith("events.out.tfevents") for p in board.iterdir())


def test_periodic_metrics_go_to_eval_json_and_metrics_jsonl(toy_recipe):
    run = train(toy_recipe, steps=20, eval_every=10, eval_samples=200)
    result = json.loads((run / "eval.json").read_text())
    assert result["step"] == 20 and result["data"] == "gaussians25" and result["n"] == 200
    assert 0 <= result["modes"] <= result["modes_total"] == 25 and 0 <= result["high_quality"] <= 1
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    evals = [r for r in records if "eval_modes" in r]
    assert [r["step"] for r in evals] == [10, 20]


class FailingStart:
    """A plugin whose on_train_start refuses the run (a ZooError), as a variant's check of its data may."""

    @zoo.hookimpl
    def on_train_start(self, trainer):
        raise DataError("refused before the first step")


def test_a_run_that_fails_before_its_first_step_leaves_no_directory(toy_recipe, tmp_path):
    manager().register(FailingStart(), name="test-failing-start")
    try:
        with pytest.raises(DataError, match="refused"):
            train(toy_recipe, steps=2)
        assert not (tmp_path / "run").exists()  # nothing half written
        mine = tmp_path / "mine"
        mine.mkdir()
        (mine / "notes.txt").write_text("the user's")
        with pytest.raises(DataError, match="refused"):
            train({**toy_recipe, "out": str(mine)}, steps=2)
        assert (mine / "notes.txt").read_text() == "the user's"  # a directory it did not make is kept
    finally:
        manager().unregister(name="test-failing-start")
