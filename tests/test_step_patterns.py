"""What docs/plugins.md promises plugin authors about training steps, checked with a WGAN-GP step.

A step may skip a network on some steps (WGAN's n_critic), may log a value on some steps only, and may
take ``torch.autograd.grad(..., create_graph=True)`` (a gradient penalty) under autocast.
"""

from __future__ import annotations

import json

import torch

import zoo
from zoo.plugins import manager
from zoo.registry import reset
from zoo.trainer import train

N_CRITIC = 3


def wgan_gp_step(model, batch, ctx, n_critic: int = N_CRITIC, gp_weight: float = 10.0) -> dict:
    """The critic every step, with a gradient penalty; the generator once every ``n_critic`` steps."""
    real = model.normalize(batch["x"])
    z = model.sample_latent(real.shape[0])
    with ctx.autocast():
        fake = model.generator(z)
        critic_gap = model.discriminator(fake.detach()).mean() - model.discriminator(real).mean()
        eps = torch.rand(real.shape[0], *[1] * (real.dim() - 1), device=real.device)
        mixed = (eps * real + (1 - eps) * fake.detach()).requires_grad_(True)
        (grad,) = torch.autograd.grad(model.discriminator(mixed).sum(), mixed, create_graph=True)
        penalty = ((grad.flatten(1).float().norm(dim=1) - 1) ** 2).mean()
    ctx.optimize("discriminator", critic_gap + gp_weight * penalty)
    out = {"critic_gap": critic_gap.detach(), "gp": penalty.detach()}
    if ctx.step % n_critic == n_critic - 1:  # the same decision on every process: it reads ctx.step
        with ctx.autocast():
            loss_g = -model.discriminator(fake).mean()
        ctx.optimize("generator", loss_g)
        out["loss_g"] = loss_g.detach()
    return out


class WganGp:
    """An in-process plugin: the WGAN-GP step on the vanilla GAN's networks, and a recording observer."""

    def __init__(self) -> None:
        self.generator_sums: dict[int, float] = {}

    @zoo.hookimpl
    def register_variants(self, register):
        register(
            zoo.Variant(
                name="wgan-gp-test",
                model="zoo_plugins.gan.networks:VanillaGAN",
                training_step=f"{__name__}:wgan_gp_step",
            )
        )

    @zoo.hookimpl
    def on_step_end(self, trainer, step, metrics):
        self.generator_sums[step] = sum(float(p.detach().sum()) for p in trainer.model.generator.parameters())


def test_a_step_may_skip_the_generator_log_sometimes_and_take_a_gradient_penalty(tmp_path, single_thread):
    plugin = WganGp()
    manager().register(plugin, name="test-wgan-gp")
    reset()
    try:
        recipe = {
            "variant": "wgan-gp-test",
            "model": {"latent_dim": 4, "hidden": [8], "out_shape": [2], "output": "linear"},
            "data": "gaussians25",
            "batch_size": 8,
            "steps": 2 * N_CRITIC,
            "amp": "bf16",
            "log_every": 1,
            "sample_every": 0,
            "out": str(tmp_path / "run"),
        }
        run = train(recipe)
    finally:
        manager().unregister(name="test-wgan-gp")
        reset()
    lines = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [line["step"] for line in lines] == list(range(1, 2 * N_CRITIC + 1))
    assert all("gp" in line and "critic_gap" in line for line in lines)
    assert [line["step"] for line in lines if "loss_g" in line] == [N_CRITIC, 2 * N_CRITIC]
    sums = plugin.generator_sums
    for step in range(2, 2 * N_CRITIC + 1):  # the generator changes on its own steps only
        changed = sums[step] != sums[step - 1]
        assert changed == (step % N_CRITIC == 0), (step, sums)
