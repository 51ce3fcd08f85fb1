"""Two CPU processes under torchrun (gloo): identical replicas, disjoint shards of the data."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import torch

from zoo.data import build_dataset
from zoo.trainer.sampler import ShardBatches

# Each rank trains through the ordinary entry point and records what it saw and what it ended with.
SCRIPT = """
import json, sys
import torch
import zoo
from zoo.plugins import manager
from zoo.entries import Variant
from zoo.trainer import load_recipe
from zoo.trainer.loop import Trainer
from zoo_plugins.gan.training import training_step

seen = []

def recording_step(model, batch, ctx, **options):
    seen.append(batch["x"].clone())
    return training_step(model, batch, ctx, **options)

class Recording:
    @zoo.hookimpl
    def register_variants(self, register):
        register(Variant(name="recording-dcgan", model="zoo_plugins.dcgan.networks:DCGAN",
                         training_step="__main__:recording_step"))

manager().register(Recording(), name="recording")
trainer = Trainer(load_recipe(json.loads(sys.argv[1])))
rank = trainer.world.rank
trainer.run()
torch.save({"state": trainer.model.state_dict(), "ema": trainer.ema.state_dict(), "seen": torch.cat(seen)},
           sys.argv[2] + f"/rank{rank}.pt")
"""


def test_two_processes_stay_identical_and_shard_the_data(tmp_path):
    recipe = {
        "variant": "recording-dcgan",
        "data": "mnist",
        "model": {"latent_dim": 8, "width": 4},
        "batch_size": 8,
        "steps": 3,
        "log_every": 1,
        "sample_every": 0,
        "checkpoint_every": 2,
        "ema": {"decay": 0.5, "start": 1},
        "out": str(tmp_path / "run"),
    }
    script = tmp_path / "ddp_script.py"
    script.write_text(SCRIPT)
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(
        [*cmd, str(script), json.dumps(recipe), str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr

    ranks = [torch.load(tmp_path / f"rank{r}.pt", weights_only=True) for r in (0, 1)]
    for key, value in ranks[0]["state"].items():  # parameters and batch-norm buffers
        assert torch.equal(value, ranks[1]["state"][key]), key
    for net, state in ranks[0]["ema"].items():
        assert all(torch.equal(v, ranks[1]["ema"][net][k]) for k, v in state.items())
    assert not torch.equal(ranks[0]["seen"], ranks[1]["seen"])

    # Each rank saw exactly its shard of the seeded epoch order, and the shards are disjoint.
    images = build_dataset("mnist").images
    shards = [
        [i for batch in ShardBatches(len(images), 8, 0, 0, rank, 2) for i in batch][:24] for rank in (0, 1)
    ]
    assert not set(shards[0]) & set(shards[1])
    for rank in (0, 1):
        assert torch.equal(ranks[rank]["seen"], images[shards[rank]])

    # Only rank 0 wrote the run directory, one record per step, averaged over the ranks.
    run = tmp_path / "run"
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records] == [1, 2, 3]
    assert torch.load(run / "checkpoint.pt", weights_only=True)["step"] == 3
    assert len(torch.load(run / "checkpoint.pt", weights_only=True)["rng"]) == 2
