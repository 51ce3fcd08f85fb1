"""Training speed of ``zoo.train`` against a plain hand-written DCGAN loop, in one process.

Both train the same DCGAN (32x32 MNIST, width 64, latent 100), batch 64, Adam 2e-4 / (0.5, 0.999),
on the same data; the plain loop follows pytorch/examples' dcgan/main.py. Rounds alternate between
the two so that a shared machine's load hits both alike; the best round of each is reported.

    python benchmarks/train_speed.py [--steps 30] [--rounds 2] [--channels-last] [--compile] [--device auto]
"""

from __future__ import annotations

import argparse
import shlex
import sys
import tempfile
import time

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader
from zoo_plugins.dcgan.networks import DCGAN

import zoo
from zoo.data import build_dataset
from zoo.plugins import manager
from zoo.trainer import load_recipe
from zoo.trainer.distributed import device_type
from zoo.trainer.loop import Trainer

MODEL = {"latent_dim": 100, "resolution": 32, "channels": 1, "width": 64}
BATCH = 64
ADAM = {"lr": 2.0e-4, "betas": (0.5, 0.999)}


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def plain_loop(steps: int, warmup: int, device: torch.device, channels_last: bool, compile: bool) -> float:
    """img/s of a pytorch/examples-style loop: D on real, D on fake, G through D, one Adam each."""
    model = DCGAN(**MODEL).to(device)
    net_g, net_d = model.generator, model.discriminator
    if channels_last:
        model.to(memory_format=torch.channels_last)
    if compile:
        net_g.compile()
        net_d.compile()
    opt_d = torch.optim.Adam(net_d.parameters(), **ADAM)
    opt_g = torch.optim.Adam(net_g.parameters(), **ADAM)
    loader = DataLoader(build_dataset("mnist"), batch_size=BATCH, shuffle=True, drop_last=True)
    ones = torch.ones(BATCH, device=device)
    zeros = torch.zeros(BATCH, device=device)

    def step(data: dict) -> None:
        real = data["x"].to(device) * 2 - 1
        if channels_last:
            real = real.contiguous(memory_format=torch.channels_last)
        net_d.zero_grad()
        out = net_d(real)
        err_real = F.binary_cross_entropy_with_logits(out, ones)
        err_real.backward()
        d_x = torch.sigmoid(out).mean().item()
        fake = net_g(torch.randn(BATCH, MODEL["latent_dim"], device=device))
        out = net_d(fake.detach())
        err_fake = F.binary_cross_entropy_with_logits(out, zeros)
        err_fake.backward()
        opt_d.step()
        net_g.zero_grad()
        out = net_d(fake)
        err_g = F.binary_cross_entropy_with_logits(out, ones)
        err_g.backward()
        opt_g.step()
        _ = (err_real + err_fake).item(), err_g.item(), d_x  # pytorch/examples prints these each step

    return steps * BATCH / timed_batches(loader, step, warmup, steps, device)


def timed_batches(loader: DataLoader, step, warmup: int, steps: int, device: torch.device) -> float:
    """Seconds ``step(batch)`` takes over ``steps`` batches after ``warmup`` untimed ones (epochs repeat)."""
    done, start = 0, 0.0
    while done < warmup + steps:
        for batch in loader:
            step(batch)
            done += 1
            if done == warmup:
                sync(device)
                start = time.perf_counter()
            if done == warmup + steps:
                break
    sync(device)
    return time.perf_counter() - start


class StepClock:
    """A plugin timing the trainer between the end of warm-up and the last step."""

    def __init__(self, warmup: int, steps: int, device: torch.device) -> None:
        self.warmup, self.last, self.device = warmup, warmup + steps, device
        self.start = self.end = 0.0

    @zoo.hookimpl
    def on_step_end(self, trainer, step, metrics):
        if step in (self.warmup, self.last):
            sync(self.device)
            setattr(self, "start" if step == self.warmup else "end", time.perf_counter())


def timed_run(recipe: dict, warmup: int, steps: int, device: torch.device) -> float:
    """Seconds ``zoo.train`` takes for ``steps`` steps after ``warmup`` untimed ones of ``recipe`` (logging
    every 10 steps, no grids or checkpoints, into a temporary directory)."""
    with tempfile.TemporaryDirectory() as out:
        run = {**recipe, "steps": warmup + steps, "device": str(device), "out": out}
        run |= {"log_every": 10, "sample_every": 0, "checkpoint_every": 0}
        clock = StepClock(warmup, steps, device)
        manager().register(clock, name="benchmark-clock")
        try:
            Trainer(load_recipe(run)).run()
        finally:
            manager().unregister(name="benchmark-clock")
    return clock.end - clock.start


def zoo_loop(steps: int, warmup: int, device: torch.device, channels_last: bool, compile: bool) -> float:
    """img/s of ``zoo.train`` on the DCGAN recipe (EMA, logging, progress bar included)."""
    recipe = {
        "variant": "dcgan",
        "data": "mnist",
        "model": MODEL,
        "batch_size": BATCH,
        "optimizers": {n: {"name": "adam", **ADAM} for n in ("generator", "discriminator")},
        "ema": {"decay": 0.999, "start": 0},
        "channels_last": channels_last,
        "compile": compile,
    }
    return steps * BATCH / timed_run(recipe, warmup, steps, device)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=30, help="timed steps per round (default 30)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed steps first (default 5)")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds of each loop (default 2)")
    parser.add_argument("--device", default="auto", help="cpu, cuda or auto (default)")
    parser.add_argument(
        "--channels-last", action="store_true", help="channels_last memory format, both loops"
    )
    parser.add_argument("--compile", action="store_true", help="torch.compile the networks, both loops")
    args = parser.parse_args(argv)
    device = torch.device(device_type(args.device))
    options = (args.steps, args.warmup, device, args.channels_last, args.compile)
    plain, ours = [], []
    for _ in range(args.rounds):
        plain.append(plain_loop(*options))
        ours.append(zoo_loop(*options))
    name = (
        torch.cuda.get_device_name(device)
        if device.type == "cuda"
        else f"CPU, {torch.get_num_threads()} threads"
    )
    print(f"device: {name}; torch {torch.__version__}; DCGAN 32x32 width 64, batch {BATCH}, Adam 2e-4/0.5")
    print(
        f"channels_last={args.channels_last} compile={args.compile} steps={args.steps} rounds={args.rounds}"
    )
    print(f"plain loop : {max(plain):8.1f} img/s  (rounds: {', '.join(f'{v:.1f}' for v in plain)})")
    print(f"zoo.train  : {max(ours):8.1f} img/s  (rounds: {', '.join(f'{v:.1f}' for v in ours)})")
    print(f"ratio zoo.train / plain: {max(ours) / max(plain):.3f}")
    print("command:", shlex.join([sys.executable, *sys.argv]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
