"""The training step of an unconditional GAN: one discriminator update, then one generator update.

Shared by every unconditional variant (vanilla GAN, DCGAN). The trainer owns everything around it:
devices, mixed precision, gradient accumulation, distributed gradient averaging, EMA, checkpoints.
"""

from __future__ import annotations

import torch

from zoo.losses import discriminator_loss, generator_loss
from zoo.model import UnconditionalGAN


def training_step(
    model: UnconditionalGAN, batch: dict, ctx, loss: str = "non_saturating"
) -> dict[str, torch.Tensor]:
    """Update D on real vs generated samples, then G to fool D; returns the values to log.

    ``loss`` is the generator's loss (``non_saturating`` or ``minimax``; ``lsgan``/``hinge`` too).
    ``d_real`` and ``d_fake`` are the mean of D's probability on real and generated samples.
    """
    d_kind = "non_saturating" if loss == "minimax" else loss
    real = model.normalize(batch["x"])
    z = model.sample_latent(real.shape[0])
    with ctx.autocast():
        fake = model.generator(z)
        real_logits = model.discriminator(real)
        fake_logits = model.discriminator(fake.detach())
        loss_d = discriminator_loss(real_logits, fake_logits, d_kind)
    ctx.optimize("discriminator", loss_d)

    with ctx.autocast():
        gen_logits = model.discriminator(fake)
        loss_g = generator_loss(gen_logits, loss)
    ctx.optimize("generator", loss_g)
    return {
        "loss_d": loss_d.detach(),
        "loss_g": loss_g.detach(),
        "d_real": torch.sigmoid(real_logits.detach().float()).mean(),
        "d_fake": torch.sigmoid(fake_logits.detach().float()).mean(),
    }
