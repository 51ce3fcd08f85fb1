"""``zoo train ... --resume`` continues the run recorded in the checkpoint: its steps, batch size, seed, data
and ``--set`` values; only the options a resumed run may change are taken from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from zoo.cli import main
from zoo.trainer.loop import Trainer

TINY_GAN = "model={latent_dim: 4, hidden: [8], out_shape: [2], output: linear}"


def _start(out: Path) -> list[str]:
    """The first command: 30 steps of 16 samples, logging every 5 steps, a checkpoint every 10."""
    args = ["-q", "train", "gan-mnist", "--data", "gaussians25", "--out", str(out), "--steps", "30"]
    args += ["--batch-size", "16", "--set", TINY_GAN, "--set", "log_every=5", "--set", "sample_every=0"]
    return [*args, "--set", "checkpoint_every=10"]


def _resume(out: Path, *extra: str) -> list[str]:
    return ["-q", "train", "gan-mnist", "--out", str(out), "--resume", *extra]


def _logged_steps(out: Path) -> list[int]:
    return [json.loads(line)["step"] for line in (out / "metrics.jsonl").read_text().splitlines()]


@pytest.fixture
def interrupted(tmp_path, single_thread, monkeypatch) -> Path:
    """The run of ``_start`` interrupted (Ctrl-C) at step 12, after its checkpoint of step 10."""
    step = Trainer._optimization_step

    def interrupt_at_12(self):
        if self.step == 12:
            raise KeyboardInterrupt
        return step(self)

    out = tmp_path / "k9"
    with monkeypatch.context() as patch:
        patch.setattr(Trainer, "_optimization_step", interrupt_at_12)
        assert main(_start(out)) == 130
    assert torch.load(out / "checkpoint.pt", weights_only=True)["step"] == 10
    return out


def test_resume_alone_continues_the_recorded_run(interrupted):
    assert main(_resume(interrupted)) == 0
    assert _logged_steps(interrupted) == [5, 10, 15, 20, 25, 30]  # log_every 5, to step 30
    recipe = json.loads((interrupted / "config.json").read_text())["recipe"]
    assert (recipe["steps"], recipe["batch_size"], recipe["log_every"]) == (30, 16, 5)
    assert recipe["model"]["hidden"] == [8] and recipe["data"] == "gaussians25"


def test_resume_with_more_steps_extends_the_run(interrupted):
    assert main(_resume(interrupted, "--steps", "40", "--batch-size", "16", "--set", "log_every=10")) == 0
    assert _logged_steps(interrupted) == [5, 10, 20, 30, 40]  # an equal --batch-size is no change


@pytest.mark.parametrize(
    "extra, named",
    [
        (["--batch-size", "8"], "--batch-size (changes batch_size)"),
        (["--set", "model.width=8"], "--set model.width=8 (changes model)"),
        (["--seed", "1", "--data", "gaussians8"], "--data (changes data); --seed (changes seed)"),
    ],
)
def test_resume_refuses_options_that_change_the_run(interrupted, capsys, extra, named):
    before = (interrupted / "metrics.jsonl").read_text()
    assert main(_resume(interrupted, "--steps", "40", *extra)) == 2
    err = capsys.readouterr().err
    assert named in err and "start a new run with another --out" in err, err
    assert (interrupted / "metrics.jsonl").read_text() == before  # nothing ran
    assert torch.load(interrupted / "checkpoint.pt", weights_only=True)["recipe"]["steps"] == 30


def test_resume_refuses_another_variant(interrupted, capsys):
    assert main(["-q", "train", "dcgan", "--out", str(interrupted), "--resume"]) == 2
    err = capsys.readouterr().err
    assert "is a run of the variant 'gan', not 'dcgan'" in err, err
