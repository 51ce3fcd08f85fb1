"""Speed of the translation plugins: training img/s of ``zoo.train`` against a plain loop of the same
networks (as the original pytorch-CycleGAN-and-pix2pix repository's ``optimize_parameters``), and
``translate`` img/s at 256x256 against a plain forward pass of the generator, in one process.

Training uses the bundled recipes' networks, data and batch sizes (read from configs/pix2pix-edges2digits.yaml
and configs/cyclegan-mnist2font.yaml) with the steps' default loss weights in both loops; rounds alternate
between the two loops so a shared machine's load hits both alike, and the best round of each is reported.
Translation uses the original's default networks (pix2pix ``unet_256``, CycleGAN ``resnet_9blocks``, 64
filters) on 256x256 RGB.

    python benchmarks/translate_speed.py [--steps 20] [--rounds 2] [--translate-images 8] [--device auto]
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F
import yaml
from torch.utils.data import DataLoader
from train_speed import sync, timed_batches, timed_run
from zoo_plugins.cyclegan.model import CycleGAN
from zoo_plugins.cyclegan.pool import ImagePool
from zoo_plugins.pix2pix.model import Pix2Pix

from zoo.data import build_dataset
from zoo.trainer.distributed import device_type

ADAM = {"lr": 2.0e-4, "betas": (0.5, 0.999)}
CONFIGS = Path(__file__).resolve().parent.parent / "configs"
RECIPES = {"pix2pix": "pix2pix-edges2digits.yaml", "cyclegan": "cyclegan-mnist2font.yaml"}


def setup(variant: str) -> tuple[dict, str, int]:
    """(model options, data, batch size) of the bundled recipe, read from configs/ so they never drift."""
    recipe = yaml.safe_load((CONFIGS / RECIPES[variant]).read_text())
    return recipe["model"], recipe["data"], recipe["batch_size"]


def pix2pix_step(model: Pix2Pix, opts: dict, a: torch.Tensor, b: torch.Tensor) -> None:
    """The original's ``Pix2PixModel.optimize_parameters``: D on (A, B) vs (A, G(A)), then G (GAN, 100 L1)."""
    net_g, net_d = model.generator, model.discriminator
    fake = net_g(a)
    net_d.requires_grad_(True)
    opts["d"].zero_grad()
    pred_fake = net_d(torch.cat([a, fake.detach()], 1))
    pred_real = net_d(torch.cat([a, b], 1))
    loss_d = 0.5 * (
        F.binary_cross_entropy_with_logits(pred_fake, torch.zeros_like(pred_fake))
        + F.binary_cross_entropy_with_logits(pred_real, torch.ones_like(pred_real))
    )
    loss_d.backward()
    opts["d"].step()
    net_d.requires_grad_(False)
    opts["g"].zero_grad()
    pred = net_d(torch.cat([a, fake], 1))
    loss_g = F.binary_cross_entropy_with_logits(pred, torch.ones_like(pred)) + 100 * F.l1_loss(fake, b)
    loss_g.backward()
    opts["g"].step()


def cyclegan_step(model: CycleGAN, opts: dict, a: torch.Tensor, b: torch.Tensor) -> None:
    """The original's ``CycleGANModel.optimize_parameters``: both generators (LSGAN + cycle 10 + identity 5),
    then both discriminators on real vs pooled fakes."""
    g_a, g_b, d_a, d_b = model.generator_ab, model.generator_ba, model.discriminator_b, model.discriminator_a
    fake_b, fake_a = g_a(a), g_b(b)
    rec_a, rec_b = g_b(fake_b), g_a(fake_a)
    d_a.requires_grad_(False)
    d_b.requires_grad_(False)
    opts["g"].zero_grad()
    pred_b, pred_a = d_a(fake_b), d_b(fake_a)
    loss_g = (
        5 * F.l1_loss(g_a(b), b)
        + 5 * F.l1_loss(g_b(a), a)
        + F.mse_loss(pred_b, torch.ones_like(pred_b))
        + F.mse_loss(pred_a, torch.ones_like(pred_a))
        + 10 * F.l1_loss(rec_a, a)
        + 10 * F.l1_loss(rec_b, b)
    )
    loss_g.backward()
    opts["g"].step()
    d_a.requires_grad_(True)
    d_b.requires_grad_(True)
    opts["d"].zero_grad()
    for net, real, fake in ((d_a, b, opts["pool_b"].query(fake_b)), (d_b, a, opts["pool_a"].query(fake_a))):
        pred_real, pred_fake = net(real), net(fake.detach())
        loss = 0.5 * (
            F.mse_loss(pred_real, torch.ones_like(pred_real))
            + F.mse_loss(pred_fake, torch.zeros_like(pred_fake))
        )
        loss.backward()
    opts["d"].step()


def plain_loop(variant: str, steps: int, warmup: int, device: torch.device) -> float:
    """img/s of the original repository's training loop on the same networks and data."""
    options, data, batch = setup(variant)
    torch.manual_seed(0)
    model = (Pix2Pix if variant == "pix2pix" else CycleGAN)(**options).to(device).train()
    step = pix2pix_step if variant == "pix2pix" else cyclegan_step
    if variant == "pix2pix":
        opts = {"g": model.generator.parameters(), "d": model.discriminator.parameters()}
    else:
        opts = {"g": model.generators.parameters(), "d": model.discriminators.parameters()}
    opts = {k: torch.optim.Adam(v, **ADAM) for k, v in opts.items()}  # the original's Adam (default kernels)
    opts |= {"pool_a": ImagePool(50), "pool_b": ImagePool(50)}
    loader = DataLoader(build_dataset(data), batch_size=batch, shuffle=True, drop_last=True)

    def run(item: dict) -> None:
        step(model, opts, item["A"].to(device) * 2 - 1, item["B"].to(device) * 2 - 1)

    return steps * batch / timed_batches(loader, run, warmup, steps, device)


def zoo_loop(variant: str, steps: int, warmup: int, device: torch.device) -> float:
    """img/s of ``zoo.train`` with the same networks, data and batch (logging and progress included)."""
    options, data, batch = setup(variant)
    names = ("generator", "discriminator") if variant == "pix2pix" else ("generators", "discriminators")
    recipe = {
        "variant": variant,
        "data": data,
        "model": options,
        "batch_size": batch,
        "optimizers": {n: {"name": "adam", **ADAM} for n in names},
        "ema": None,
    }
    return steps * batch / timed_run(recipe, warmup, steps, device)


@torch.no_grad()
def translate_speed(variant: str, images: int, device: torch.device) -> tuple[float, float]:
    """img/s of ``model.translate`` and of a plain ``generator(x * 2 - 1)`` on 256x256 RGB, batch 1."""
    model = (Pix2Pix() if variant == "pix2pix" else CycleGAN()).to(device).eval()
    net = model.generator if variant == "pix2pix" else model.generator_ab
    x = torch.rand(1, 3, 256, 256, device=device)
    results = []
    for run in (lambda: model.translate(x), lambda: (net(x * 2 - 1) + 1) / 2):
        run()  # warm-up
        sync(device)
        start = time.perf_counter()
        for _ in range(images):
            run()
        sync(device)
        results.append(images / (time.perf_counter() - start))
    return results[0], results[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=20, help="timed training steps per round (default 20)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps first (default 3)")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds of each loop (default 2)")
    parser.add_argument("--translate-images", type=int, default=8, help="timed 256x256 images (default 8)")
    parser.add_argument("--variants", nargs="+", default=list(RECIPES), choices=list(RECIPES))
    parser.add_argument("--device", default="auto", help="cpu, cuda or auto (default)")
    args = parser.parse_args(argv)
    device = torch.device(device_type(args.device))
    name = (
        torch.cuda.get_device_name(device)
        if device.type == "cuda"
        else f"CPU, {torch.get_num_threads()} threads"
    )
    print(f"device: {name}; torch {torch.__version__}")
    for variant in args.variants:
        plain, ours = [], []
        for _ in range(args.rounds):
            plain.append(plain_loop(variant, args.steps, args.warmup, device))
            ours.append(zoo_loop(variant, args.steps, args.warmup, device))
        options, data, batch = setup(variant)
        print(f"{variant} training ({options['netG']} ngf {options['ngf']}, {data}, batch {batch}):")
        print(f"  plain loop : {max(plain):8.1f} img/s  (rounds: {', '.join(f'{v:.1f}' for v in plain)})")
        print(f"  zoo.train  : {max(ours):8.1f} img/s  (rounds: {', '.join(f'{v:.1f}' for v in ours)})")
        print(f"  ratio zoo.train / plain: {max(ours) / max(plain):.3f}")
        translate, forward = translate_speed(variant, args.translate_images, device)
        print(f"{variant} translate 256x256 RGB, batch 1 (original default generator):")
        print(f"  translate: {translate:6.2f} img/s; plain forward: {forward:6.2f} img/s")
    print("command:", shlex.join([sys.executable, *sys.argv]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
