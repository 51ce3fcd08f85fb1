"""Fault runs: ``zoo train`` killed with SIGKILL again and again, each time continued with ``--resume``.

A tiny recipe (a 16-unit vanilla GAN on 96 points of the 25-Gaussian grid, a checkpoint every 5 steps,
a sample grid every 10) is trained once without interruption, in this process, as the reference. Then
a run of the same recipe is started with ``python -m zoo train`` and killed ``--kills`` times at random
instants (uniform over a window from the new process's first logged step; the window is sized from the
reference's duration so that the kills spread over the run), each kill followed by a new start
(``--resume`` when the directory holds a checkpoint), and finished without a kill.

After every kill, the weights ``zoo.load(run)`` gives must be those of the checkpoint ``--resume``
continues from (or neither may exist), and the temporary files the kill left must be gone after the
next start. At the end, ``metrics.jsonl`` must hold the reference's lines, none lost or duplicated
(timings aside), the final weights must equal the reference's bit for bit, and no temporary file or
unfinished checkpoint set may remain. The script prints the figures and exits 1 when one fails.

``--points WHERE:STEP,...`` kills at fixed points instead, one per start, from inside the process
(``os.kill(getpid(), SIGKILL)``, no clean-up runs): ``step`` (after an optimisation step),
``mid-write`` (inside the first atomic file write from that step on, its temporary file complete but
not yet renamed), ``between-files`` (in the checkpoint of that step, after ``checkpoint.pt``, before
``model.safetensors``), ``after-swap`` (right after that checkpoint became current).

Run: ``python benchmarks/kill_resume.py [--kills 20] [--seed 0]``, or
``python benchmarks/kill_resume.py --points between-files:10,mid-write:20,after-swap:30 --steps 60``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RECIPE = {
    "variant": "gan",
    "data": {"name": "gaussians25", "size": 96},
    "model": {"latent_dim": 4, "hidden": [16], "out_shape": [2], "output": "linear"},
    "batch_size": 32,
    "log_every": 1,
    "sample_every": 10,
    "checkpoint_every": 5,
    "ema": {"decay": 0.9, "start": 5},
    "device": "cpu",
}

# `zoo train` through zoo.cli.main, killing itself at the point KILL_AT names (WHERE:STEP).
KILLER = """
import contextlib, os, signal, sys
import zoo, zoo.io
from zoo.plugins import manager

where, at = os.environ["KILL_AT"].split(":")
at, seen = int(at), [0]

def die():
    os.kill(os.getpid(), signal.SIGKILL)

class Steps:
    @zoo.hookimpl
    def on_step_end(self, trainer, step, metrics):
        seen[0] = step
        if where == "step" and step == at:
            die()

manager().register(Steps(), name="kill-at")
if where == "mid-write":  # before the modules that write import it
    atomic_path = zoo.io.atomic_path

    @contextlib.contextmanager
    def dying(path):
        with atomic_path(path) as tmp:
            yield tmp
            if seen[0] >= at:
                die()

    zoo.io.atomic_path = dying

import zoo.trainer.checkpoint as checkpoint
import zoo.trainer.loop as loop

if where == "between-files":
    export_run = loop.export_run

    def export_then(model, ema, variant, recipe, step, folder):
        if step == at:
            die()
        return export_run(model, ema, variant, recipe, step, folder)

    loop.export_run = export_then
if where == "after-swap":
    replace_symlink = checkpoint.replace_symlink

    def swap_then(link, target):
        replace_symlink(link, target)
        if link.name == "current" and target.startswith(f"ckpt-{at:08d}"):
            die()

    checkpoint.replace_symlink = swap_then

from zoo.cli import main
sys.exit(main(sys.argv[1:]))
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=20, help="random kills (ignored with --points)")
    parser.add_argument("--points", default="", help="fixed kill points WHERE:STEP,... (see the docstring)")
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--seed", type=int, default=0, help="seed of the kill instants")
    parser.add_argument("--workdir", type=Path, default=None, help="kept afterwards (default: a temp dir)")
    args = parser.parse_args(argv)
    os.environ["OMP_NUM_THREADS"] = "1"  # the same in the subprocesses as here: identical arithmetic

    import torch

    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        work = args.workdir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        ok = _fault_run(args, work)
    print("command:", shlex.join(["python", "benchmarks/kill_resume.py", *(argv or sys.argv[1:])]))
    return 0 if ok else 1


def _fault_run(args: argparse.Namespace, work: Path) -> bool:
    import torch
    import yaml

    from zoo.trainer import train

    recipe = work / "recipe.yaml"
    recipe.write_text(yaml.safe_dump({**RECIPE, "steps": args.steps}))
    start = time.perf_counter()
    reference = train(str(recipe), out=str(work / "reference"))
    window = 1.2 * (time.perf_counter() - start) / max(args.kills, 1)

    run, rng = work / "run", random.Random(args.seed)
    points = [p for p in args.points.split(",") if p]
    kills = len(points) or args.kills
    agreed, with_checkpoint, in_save, left, survived, unkilled = 0, 0, 0, set(), 0, 0
    temps_left = 0
    for i in range(kills):
        resume = ["--resume"] if (run / "checkpoint.pt").is_file() else []
        command = [str(recipe), "--out", str(run), *resume]
        if points:
            env = {**os.environ, "KILL_AT": points[i]}
            proc = subprocess.Popen([sys.executable, "-c", KILLER, "train", *command], env=env, **_QUIET)
        else:
            since = torch.load(run / "checkpoint.pt", weights_only=True)["step"] if resume else 0
            metrics = _inode(run / "metrics.jsonl")
            proc = subprocess.Popen([sys.executable, "-m", "zoo", "train", *command], **_QUIET)
            _wait_for_training(run, proc, metrics, since)
            time.sleep(rng.uniform(0, window))
            proc.send_signal(signal.SIGKILL)
        code = proc.wait(timeout=600)
        if code != -signal.SIGKILL:
            print(f"start {i + 1} was not killed: it ended with exit status {code}")
            unkilled += 1
            break
        survived += len(left & _temps(run))  # what the previous kill left, still there after this start
        left = _temps(run)
        temps_left += len(left)
        in_save += bool(left or _unfinished_sets(run))
        agreed += _load_agrees_with_resume(run)
        with_checkpoint += (run / "checkpoint.pt").is_file()
    done = kills - unkilled
    train(str(recipe), out=str(run), resume=(run / "checkpoint.pt").is_file())
    survived += len(left & _temps(run))

    expected, got = _records(reference), _records(run)
    steps = [r["step"] for r in got]
    lost = len({r["step"] for r in expected} - set(steps))
    duplicated = len(steps) - len(set(steps))
    differing = sum(a != b for a, b in zip(expected, got, strict=False)) + abs(len(expected) - len(got))
    identical = _same_weights(reference, run)
    stale, unfinished = len(_temps(run)), len(_unfinished_sets(run))
    how = f"at the points {', '.join(points)}" if points else f"at random instants (window {window:.2f} s)"
    print(f"kills: {done} of {kills}, {how}; starts that ended before their kill: {unkilled}")
    print(f"  kills inside a checkpoint or file write (temp files or an unfinished set left): {in_save}")
    print(
        f"  zoo.load(run) weights == the checkpoint --resume continues from, after a kill: {agreed}/{done} "
        f"({with_checkpoint} with a checkpoint, the others with neither)"
    )
    print(f"  temp files left by kills: {temps_left}, of which survived the next start: {survived}")
    print(
        f"metrics.jsonl vs the uninterrupted run ({len(expected)} lines): lost {lost}, duplicated "
        f"{duplicated}, differing {differing}"
    )
    print(f"final weights bit-identical (model.safetensors and checkpoint.pt): {identical}")
    print(f"after the final resume: stale temp files {stale}, unfinished checkpoint sets {unfinished}")
    return (
        unkilled == 0
        and agreed == done
        and survived == lost == duplicated == differing == stale == unfinished == 0
        and identical
    )


_QUIET = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}


def _wait_for_training(run: Path, proc: subprocess.Popen, metrics: int | None, since: int) -> None:
    """Until ``proc`` trains: it has rewritten metrics.jsonl (a start cuts it back to its checkpoint, a new
    inode) and logged a step after ``since``; or until it has ended."""
    while proc.poll() is None:
        if _inode(run / "metrics.jsonl") not in (None, metrics) and _last_step(run) > since:
            return
        time.sleep(0.005)


def _inode(path: Path) -> int | None:
    try:
        return path.stat().st_ino
    except OSError:
        return None


def _last_step(run: Path) -> int:
    """The step of metrics.jsonl's last complete line (0 when there is none)."""
    try:
        lines = (run / "metrics.jsonl").read_text().split("\n")[:-1]  # a line is complete at its newline
        return json.loads(lines[-1])["step"] if lines else 0
    except (OSError, ValueError):
        return 0


def _temps(run: Path) -> set[Path]:
    """Temporary files of atomic writes (``.NAME.RANDOM.tmp``) anywhere in the run directory."""
    return set(run.rglob(".*.*.tmp")) if run.exists() else set()


def _unfinished_sets(run: Path) -> list[Path]:
    """Checkpoint sets newer than the current one (written, never made current)."""
    current = os.readlink(run / "current") if (run / "current").is_symlink() else ""
    return [p for p in run.glob("ckpt-*") if p.name[5:13] > current[5:13]]


def _load_agrees_with_resume(run: Path) -> bool:
    """Whether ``zoo.load(run)`` gives the weights of the checkpoint ``--resume`` reads, or neither exists."""
    import torch

    import zoo
    from zoo.errors import ZooError

    path = run / "checkpoint.pt"
    resume = torch.load(path, weights_only=True) if path.is_file() else None
    try:
        loaded = zoo.load(run).state_dict()
    except ZooError:
        loaded = None
    if resume is None or loaded is None:
        return resume is None and loaded is None
    return _equal(loaded, _inference_weights(resume))


def _inference_weights(checkpoint: dict) -> dict:
    """The weights a checkpoint exports: the model's, with each averaged network's moving average."""
    weights = dict(checkpoint["model"])
    for name, average in checkpoint["ema"].items():
        weights.update({f"{name}.{k[7:]}": v for k, v in average.items() if k.startswith("module.")})
    return weights


def _same_weights(a: Path, b: Path) -> bool:
    """Whether two runs ended with the same ``model.safetensors`` and checkpointed model, bit for bit."""
    import torch

    from zoo.weights import read_weights

    exported = _equal(read_weights(a / "model.safetensors"), read_weights(b / "model.safetensors"))
    ca, cb = (torch.load(r / "checkpoint.pt", weights_only=True)["model"] for r in (a, b))
    return exported and _equal(ca, cb)


def _equal(x: dict, y: dict) -> bool:
    import torch

    return x.keys() == y.keys() and all(torch.equal(x[k], y[k]) for k in x)


def _records(run: Path) -> list[dict]:
    """metrics.jsonl without the timings, which differ from run to run."""
    lines = (run / "metrics.jsonl").read_text().splitlines()
    return [{k: v for k, v in json.loads(line).items() if k != "img_per_s"} for line in lines]


if __name__ == "__main__":
    sys.exit(main())
