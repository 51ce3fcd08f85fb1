"""AttnGAN speed: ``generate`` img/s at each stage count (32, 64, 128 px with the CPU entry's widths), and
training img/s of ``zoo.train`` (the attngan stage) against a plain hand-written loop of the same update.

Both loops train the networks of ``configs/attngan-shapes.yaml`` on the shapes data, batch 24, one Adam per
network; the plain loop does what the original ``trainer.py`` does per batch (every stage's D, then G with
the adversarial, DAMSM, KL and L1 losses at the recipe's weights), with no EMA, logging or checkpoints. Rounds
alternate so a shared machine's load hits both alike; the best round of each is reported. Encoders are
untrained: speed only.

    OMP_NUM_THREADS=1 python benchmarks/attngan_speed.py [--steps 10] [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import warnings
from pathlib import Path

import torch
import torch.nn.functional as F
import yaml
from torch.utils.data import DataLoader
from train_speed import StepClock
from zoo_plugins.attngan.losses import (
    damsm_loss,
    kl_loss,
    same_caption,
    stage_discriminator_loss,
    stage_generator_loss,
)
from zoo_plugins.attngan.model import AttnGAN

from zoo.data import build_dataset
from zoo.plugins import manager
from zoo.trainer import load_recipe
from zoo.trainer.loop import Trainer
from zoo.weights import save_weights

RECIPE = Path(__file__).resolve().parent.parent / "configs" / "attngan-shapes.yaml"
BATCH = 24


RECIPE_FIELDS = yaml.safe_load(RECIPE.read_text())


def model_options() -> dict:
    """The recipe's model options, vocabulary and max_words filled in from the shapes captions."""
    return AttnGAN.config_from_data(dict(RECIPE_FIELDS["model"]), {"name": "shapes", "size": 64})


def loss_weights() -> tuple[float, float, float]:
    """The recipe's DAMSM, KL and L1 weights (after its warm-up), so both loops minimise the same loss."""
    step = RECIPE_FIELDS["step"]
    return step["damsm_weight"], step["kl_weight"], step["pixel_weight"]


def plain_loop(options: dict, steps: int, warmup: int) -> float:
    """img/s of a hand-written loop of the attngan update."""
    model = AttnGAN(**options).train()
    damsm_weight, kl_weight, pixel_weight = loss_weights()
    opt_g = torch.optim.Adam(model.generator.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(model.discriminators.parameters(), lr=2e-4, betas=(0.5, 0.999))
    loader = DataLoader(build_dataset({"name": "shapes", "size": 64}), batch_size=BATCH, shuffle=True)
    done, start = 0, 0.0
    for batch in loader:
        captions = batch["caption"]
        with torch.no_grad():
            words, sentence, pad = model.encode_text(captions)
        z, eps = (
            torch.randn(BATCH, model.generator.z_dim),
            torch.randn(BATCH, model.generator.ca_net.cond_dim),
        )
        real = batch["x"] * 2 - 1
        reals = [F.interpolate(real, size=(s, s), mode="bilinear", antialias=True) for s in model.sizes]
        differs = torch.tensor([a != b for a, b in zip(captions, captions[1:], strict=False)]).float()
        fakes, _, mu, logvar = model.generator(z, sentence, words, pad, eps)
        opt_d.zero_grad()
        sum(
            stage_discriminator_loss(d, r, f, sentence, differs)
            for d, r, f in zip(model.discriminators, reals, fakes, strict=True)
        ).backward()
        opt_d.step()
        opt_g.zero_grad()
        adv = sum(
            stage_generator_loss(d, f, sentence) for d, f in zip(model.discriminators, fakes, strict=True)
        )
        regions, code = model.encoders["image"](fakes[-1])
        w, s = damsm_loss(regions, code, words, sentence, pad, same_caption(captions))
        pixel = sum(F.l1_loss(f, r) for f, r in zip(fakes, reals, strict=True))
        (adv + damsm_weight * (w + s) + kl_weight * kl_loss(mu, logvar) + pixel_weight * pixel).backward()
        opt_g.step()
        done += 1
        if done == warmup:
            start = time.perf_counter()
        if done == warmup + steps:
            break
    return steps * BATCH / (time.perf_counter() - start)


def zoo_loop(options: dict, steps: int, warmup: int) -> float:
    """img/s of ``zoo.train`` on the attngan recipe (EMA, logging and progress bar included)."""
    with tempfile.TemporaryDirectory() as out:
        damsm = Path(out) / "damsm"
        save_weights(AttnGAN(**options), damsm / "model.safetensors")
        (damsm / "config.json").write_text(json.dumps({"config": options}))
        recipe = load_recipe(
            RECIPE,
            model=options,
            step={"damsm": str(damsm)},
            batch_size=BATCH,
            steps=warmup + steps,
            log_every=10,
            sample_every=0,
            checkpoint_every=0,
            out=str(Path(out) / "run"),
        )
        clock = StepClock(warmup, steps, torch.device("cpu"))
        manager().register(clock, name="benchmark-clock")
        try:
            Trainer(recipe).run()
        finally:
            manager().unregister(name="benchmark-clock")
    return steps * BATCH / (clock.end - clock.start)


@torch.no_grad()
def generate_speed(options: dict, stages: int, n: int = 64, rounds: int = 3) -> float:
    """img/s of ``generate`` for a generator of ``stages`` stages (best of ``rounds``)."""
    model = AttnGAN(**{**options, "stages": stages, "discriminators": False}).eval()
    captions = ["a small red circle at the top left and a large blue square in the center"] * n
    best = 0.0
    for _ in range(rounds):
        start = time.perf_counter()
        model.generate(captions, seed=0)
        best = max(best, n / (time.perf_counter() - start))
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=10, help="timed steps per round (default 10)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed steps first (default 2)")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds of each loop (default 2)")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore", UserWarning)
    options = model_options()
    generate = {f"{options['base_size'] * 2 ** (k - 1)}px": generate_speed(options, k) for k in (1, 2, 3)}
    plain, ours = [], []
    for _ in range(args.rounds):
        plain.append(plain_loop(options, args.steps, args.warmup))
        ours.append(zoo_loop(options, args.steps, args.warmup))
    result = {
        "device": f"CPU, {torch.get_num_threads()} threads",
        "generate_img_per_s": generate,
        "train_img_per_s": {"plain": max(plain), "zoo": max(ours), "ratio": max(ours) / max(plain)},
        "batch": BATCH,
        "steps": args.steps,
        "command": "python " + " ".join(sys.argv),
    }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
