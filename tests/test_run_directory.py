"""One writer per run directory, and what a killed writer leaves is cleared by the next start."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
import yaml

from zoo.trainer import RecipeError, Trainer, load_recipe, train

# Trains from a JSON recipe, pausing after step 5 (before its first checkpoint) until the file argv[2]
# exists: a second run starts meanwhile.
PAUSING = """
import json, pathlib, sys, time
import zoo
from zoo.plugins import manager
from zoo.trainer import train

class Pause:
    @zoo.hookimpl
    def on_step_end(self, trainer, step, metrics):
        while step == 5 and not pathlib.Path(sys.argv[2]).exists():
            time.sleep(0.01)

manager().register(Pause(), name="pause")
train(json.loads(sys.argv[1]))
"""


def _steps(run) -> list[int]:
    return [json.loads(line)["step"] for line in (run / "metrics.jsonl").read_text().splitlines()]


def test_a_second_zoo_train_into_the_same_out_fails_at_once(toy_recipe, tmp_path):
    recipe = {**toy_recipe, "steps": 60, "log_every": 1}
    run = tmp_path / "run"
    script, go = tmp_path / "pausing.py", tmp_path / "go"
    script.write_text(PAUSING)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    first = subprocess.Popen([sys.executable, str(script), json.dumps(recipe), str(go)], env=env)
    try:
        deadline = time.monotonic() + 120
        while first.poll() is None and time.monotonic() < deadline:
            if (run / "metrics.jsonl").exists() and (run / "metrics.jsonl").read_text().count("\n") == 5:
                break  # the first run holds the directory, paused after step 5
            time.sleep(0.01)
        (tmp_path / "recipe.yaml").write_text(yaml.safe_dump(recipe))
        second = subprocess.run(
            [sys.executable, "-m", "zoo", "train", str(tmp_path / "recipe.yaml"), "--out", str(run)],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
    finally:
        go.touch()
        assert first.wait(timeout=300) == 0
    assert second.returncode == 2
    assert f"{run} is being written by another training run (pid {first.pid} on " in second.stderr
    assert "--resume" in second.stderr and "another --out" in second.stderr
    assert _steps(run) == list(range(1, 61))  # the first run's lines, each once
    assert json.loads((run / "config.json").read_text())["steps"] == 60


def test_the_directory_is_free_again_when_its_run_ends_or_fails(toy_recipe):
    first = Trainer(load_recipe(toy_recipe))
    with pytest.raises(RecipeError, match=rf"being written by another training run \(pid {os.getpid()} on "):
        train(toy_recipe)
    first.run()
    train(toy_recipe, resume=True, steps=50)  # taken and given back again
    with pytest.raises(RecipeError, match="--resume"):  # refused after the lock is taken, which is freed
        train(toy_recipe)
    assert _steps(first.run_dir) == list(range(5, 51, 5))


def test_under_torchrun_every_rank_is_refused_when_the_directory_is_held(toy_recipe, tmp_path):
    holder = Trainer(load_recipe(toy_recipe))
    script = tmp_path / "train.py"
    script.write_text("import json, sys\nfrom zoo.trainer import train\ntrain(json.loads(sys.argv[1]))\n")
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2"]
    proc = subprocess.run(
        [*torchrun, str(script), json.dumps(toy_recipe)],
        env={**os.environ, "OMP_NUM_THREADS": "1"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode != 0
    refusal = f"is being written by another training run (pid {os.getpid()} on "
    assert (proc.stdout + proc.stderr).count(refusal) >= 2, proc.stderr[-3000:]  # rank 0 and rank 1
    holder.run()
    assert _steps(holder.run_dir) == list(range(5, 41, 5))


def test_stale_temporary_files_are_removed_by_the_next_start(toy_recipe):
    run = train(toy_recipe, steps=10)
    stale = [  # what kill -9 inside atomic writes and an unfinished checkpoint leave
        run / ".metrics.jsonl.k3j2x9a1.tmp",
        run / "samples" / ".latest.png.q8w7e6r5.tmp",
        run / "current" / ".model.safetensors.a1b2c3d4.tmp",
        run / "ckpt-00000015" / ".checkpoint.pt.z9y8x7w6.tmp",  # never made current
    ]
    for path in stale:
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(b"half")
    (run / ".current.0f1e2d3c.tmp").symlink_to("ckpt-00000015")
    keep = run / "samples" / "notes.tmp"  # not a temporary file's name
    keep.write_text("mine")

    train(toy_recipe, resume=True, steps=20)
    assert not any(p.exists() for p in stale) and not (run / ".current.0f1e2d3c.tmp").is_symlink()
    assert keep.exists()
    sets = sorted(p.name for p in run.glob("ckpt-*"))
    assert sets == ["ckpt-00000010", "ckpt-00000020"]  # the previous checkpoint and the current one


def test_a_fresh_run_clears_what_a_run_killed_before_its_first_checkpoint_left(toy_recipe, tmp_path):
    run = tmp_path / "run"
    (run / "ckpt-00000015").mkdir(parents=True)  # unfinished: never made current
    (run / "ckpt-00000015" / "checkpoint.pt").write_bytes(b"half")
    (run / ".metrics.jsonl.k3j2x9a1.tmp").write_bytes(b"half")
    (run / "metrics.jsonl").write_text('{"step": 5, "loss_d": 1.0}\n{"step": 1')

    train(toy_recipe, steps=20)
    assert not (run / ".metrics.jsonl.k3j2x9a1.tmp").exists()
    assert sorted(p.name for p in run.glob("ckpt-*")) == ["ckpt-00000010", "ckpt-00000020"]  # its own
    assert _steps(run) == [5, 10, 15, 20]
