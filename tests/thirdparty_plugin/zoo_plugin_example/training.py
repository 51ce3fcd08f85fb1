"""The training step of ``tinygan``: one discriminator update, then one generator update."""

from __future__ import annotations

import torch

from zoo.losses import discriminator_loss, generator_loss


def training_step(model, batch: dict, ctx, loss: str = "non_saturating") -> dict[str, torch.Tensor]:
    """``batch["x"]`` holds real images in [0, 1] on ``ctx.device``; returns the values to log."""
    real = model.normalize(batch["x"])
    z = model.sample_latent(real.shape[0])
    with ctx.autocast():
        fake = model.generator(z)
        loss_d = discriminator_loss(model.discriminator(real), model.discriminator(fake.detach()))
    ctx.optimize("discriminator", loss_d)  # backward + optimiser step of the discriminator
    with ctx.autocast():
        loss_g = generator_loss(model.discriminator(fake), loss)
    ctx.optimize("generator", loss_g)
    return {"loss_d": loss_d.detach(), "loss_g": loss_g.detach()}
