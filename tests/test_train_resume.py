"""Resuming after ``kill -9``: on CPU the resumed run repeats the uninterrupted one exactly."""

from __future__ import annotations

import importlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from zoo.trainer import RecipeError, train

KILL_RESUME = Path(__file__).parents[1] / "benchmarks" / "kill_resume.py"

# Trains from a JSON recipe; a plugin slows each step so the test can kill it mid-run.
SCRIPT = """
import json, sys, time
import zoo
from zoo.plugins import manager
from zoo.trainer import train

class Slow:
    @zoo.hookimpl
    def on_step_end(self, trainer, step, metrics):
        time.sleep(0.02)

manager().register(Slow(), name="slow")
train(json.loads(sys.argv[1]), resume=sys.argv[2] == "resume")
"""


@pytest.fixture
def resumable(toy_recipe) -> dict:
    """The toy recipe on a 96-point dataset: 3 batches an epoch, so the run crosses many epochs."""
    return {**toy_recipe, "data": {"name": "gaussians25", "size": 96}, "steps": 60, "log_every": 1}


def _records(run) -> list[dict]:
    """metrics.jsonl without the timing, which differs from run to run."""
    lines = (run / "metrics.jsonl").read_text().splitlines()
    return [{k: v for k, v in json.loads(line).items() if k != "img_per_s"} for line in lines]


def test_resume_after_kill_9_repeats_the_uninterrupted_run(resumable, tmp_path):
    expected = _records(train({**resumable, "out": str(tmp_path / "whole")}))
    assert [r["step"] for r in expected] == list(range(1, 61))

    run = tmp_path / "killed"
    recipe = {**resumable, "out": str(run)}
    script = tmp_path / "train_script.py"
    script.write_text(SCRIPT)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen([sys.executable, str(script), json.dumps(recipe), "new"], env=env)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        metrics = run / "metrics.jsonl"
        if metrics.exists() and metrics.read_text().count("\n") >= 25:  # past the checkpoint of step 20
            break
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    assert proc.wait() == -signal.SIGKILL, "the run ended before it could be killed: slow it down"
    checkpoint = torch.load(run / "checkpoint.pt", weights_only=True)
    killed_at = len(_records(run))
    assert checkpoint["step"] in (20, 30) and killed_at > checkpoint["step"]

    train(recipe, resume=True)
    assert _records(run) == expected  # bit for bit, including the steps redone after the checkpoint
    assert torch.load(run / "checkpoint.pt", weights_only=True)["step"] == 60


def test_resume_twice_in_process_matches(resumable, tmp_path):
    expected = _records(train({**resumable, "out": str(tmp_path / "whole")}))
    recipe = {**resumable, "out": str(tmp_path / "parts")}
    train(recipe, steps=17)  # ends with a checkpoint at step 17, mid-epoch
    train(recipe, steps=33, resume=True)
    assert _records(train(recipe, resume=True)) == expected


def test_resume_without_checkpoint_is_a_clear_error(toy_recipe, tmp_path):
    with pytest.raises(RecipeError, match=r"no checkpoint at .*checkpoint\.pt.*without --resume"):
        train(toy_recipe, resume=True)
    assert not (tmp_path / "run").exists()  # nothing written


def test_resume_with_another_recipe_names_the_fields(toy_recipe):
    train(toy_recipe, steps=10)
    with pytest.raises(RecipeError, match=r"\['batch_size', 'model'\]"):
        train(toy_recipe, resume=True, batch_size=16, model={"hidden": [8]})


def _inference_weights(checkpoint: dict) -> dict:
    """The weights a checkpoint exports: the model's, with the averaged networks' moving averages."""
    weights = dict(checkpoint["model"])
    for name, average in checkpoint["ema"].items():
        weights.update({f"{name}.{k[7:]}": v for k, v in average.items() if k.startswith("module.")})
    return weights


def _loaded_is_resumed(run) -> int:
    """The step --resume continues from, after checking that zoo.load(run) gives that checkpoint's weights."""
    import zoo

    checkpoint = torch.load(run / "checkpoint.pt", weights_only=True)
    loaded, expected = zoo.load(run).state_dict(), _inference_weights(checkpoint)
    assert loaded.keys() == expected.keys() and all(torch.equal(loaded[k], expected[k]) for k in loaded)
    assert json.loads((run / "config.json").read_text())["steps"] == checkpoint["step"]
    return checkpoint["step"]


@pytest.mark.parametrize(
    ("target", "step_of"),
    [
        ("zoo.trainer.loop.export_run", lambda args: args[4]),  # (model, ema, variant, recipe, step, dir)
        ("zoo.trainer.export.write_run_config", lambda args: args[1]["steps"]),  # (dir, record)
    ],
    ids=["after-checkpoint.pt", "after-model.safetensors"],
)
def test_load_and_resume_agree_when_a_checkpoint_stops_between_its_files(
    resumable, tmp_path, monkeypatch, target, step_of
):
    expected = _records(train({**resumable, "out": str(tmp_path / "whole")}))
    recipe = {**resumable, "out": str(tmp_path / "run"), "checkpoint_every": 10}
    module, name = target.rsplit(".", 1)
    real = getattr(importlib.import_module(module), name)

    def fails_at_step_20(*args):
        if step_of(args) == 20:
            raise OSError("disk full")
        return real(*args)

    monkeypatch.setattr(target, fails_at_step_20)
    with pytest.raises(OSError, match="disk full"):
        train(recipe)
    run = tmp_path / "run"
    assert _loaded_is_resumed(run) == 10  # both still the step-10 checkpoint, not a mix of 10 and 20
    monkeypatch.undo()
    train(recipe, resume=True)
    assert _loaded_is_resumed(run) == 60 and _records(run) == expected


def test_kills_at_fixed_points_then_resume_repeat_the_uninterrupted_run(tmp_path):
    """kill -9 between checkpoint.pt and model.safetensors, inside a file write, after a checkpoint's
    swap: after each, zoo.load and --resume agree; in the end nothing lost, duplicated or left over."""
    points = "between-files:10,mid-write:20,after-swap:30"
    script = [str(KILL_RESUME), "--points", points, "--steps", "60", "--workdir", str(tmp_path)]
    proc = subprocess.run(
        [sys.executable, *script],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr[-3000:]
    assert "zoo.load(run) weights == the checkpoint --resume continues from, after a kill: 3/3" in proc.stdout
    assert (tmp_path / "run" / "samples").is_dir()


@pytest.mark.slow
def test_twenty_kills_at_random_instants_lose_nothing(tmp_path):
    proc = subprocess.run(
        [sys.executable, str(KILL_RESUME), "--kills", "20", "--workdir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=3600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr[-3000:]


def test_a_run_directory_from_before_checkpoint_sets_loads_and_resumes(resumable, tmp_path):
    """Plain checkpoint.pt, model.safetensors and config.json at the top, as older versions wrote them."""
    import shutil

    expected = _records(train({**resumable, "out": str(tmp_path / "whole")}))
    recipe = {**resumable, "out": str(tmp_path / "old")}
    run = train(recipe, steps=20)
    for name in ("checkpoint.pt", "model.safetensors", "config.json"):
        (run / name).unlink()
        shutil.copyfile(run / "current" / name, run / name)
    (run / "current").unlink()
    for folder in run.glob("ckpt-*"):
        shutil.rmtree(folder)
    assert _loaded_is_resumed(run) == 20

    train(recipe, resume=True)
    assert _records(run) == expected and _loaded_is_resumed(run) == 60
    assert (run / "checkpoint.pt").is_symlink() and (run / "current").is_symlink()
