"""Resuming after ``kill -9``: on CPU the resumed run repeats the uninterrupted one exactly."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import torch

from zoo.trainer import RecipeError, train

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
