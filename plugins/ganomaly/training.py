"""The GANomaly training step, in the order of the official code (samet-akcay/ganomaly, lib/model.py).

The generator is updated first: feature matching against the discriminator (``w_adv``), L1 between
the image and its reconstruction (``w_con``) and L2 between the two latent codes (``w_enc``); the
paper's weights are 1, 50, 1. Then the discriminator: BCE on real images vs reconstructions, halved.
When that loss collapses below 1e-5 the discriminator is re-initialised, as the official code does.
The autoencoder baseline (``adversarial: false``) trains on ``w_con`` times the L1 loss alone.
"""

from __future__ import annotations

import logging

import torch
from zoo_plugins.dcgan.networks import init_weights
from zoo_plugins.ganomaly.losses import adversarial_loss, contextual_loss, latent_loss
from zoo_plugins.ganomaly.model import GANomaly

from zoo.losses import discriminator_loss

REINIT_BELOW = 1e-5
log = logging.getLogger("zoo.ganomaly")


_ADAM = {"name": "adam", "lr": 2.0e-4, "betas": [0.5, 0.999]}

#: What ``zoo train ganomaly --data DIR`` starts from: the paper's settings (Adam at 2e-4, beta1 0.5,
#: batches of 64, loss weights 1, 50, 1, 32x32 images); the model takes its channels from the data.
RECIPE = {
    "step": {"w_adv": 1.0, "w_con": 50.0, "w_enc": 1.0},
    "batch_size": 64,
    "optimizers": {"generator": dict(_ADAM), "discriminator": dict(_ADAM)},
    "ema": None,
}


def training_step(
    model: GANomaly, batch: dict, ctx, w_adv: float = 1.0, w_con: float = 50.0, w_enc: float = 1.0
) -> dict[str, torch.Tensor]:
    """One generator update, then one discriminator update; returns the values to log."""
    real = model.normalize(batch["x"])
    with ctx.autocast():
        fake, z, z_hat = model.generator(real)
        loss_con = contextual_loss(fake.float(), real)
    if model.discriminator is None:
        loss_g = w_con * loss_con
        ctx.optimize("generator", loss_g)
        return {"loss_g": loss_g.detach(), "loss_con": loss_con.detach()}

    with ctx.autocast():
        loss_adv = adversarial_loss(model.discriminator.features(real), model.discriminator.features(fake))
        loss_enc = latent_loss(z_hat.float(), z.float())
        loss_g = w_adv * loss_adv.float() + w_con * loss_con + w_enc * loss_enc
    ctx.optimize("generator", loss_g)

    with ctx.autocast():
        real_logits, _ = model.discriminator(real)
        fake_logits, _ = model.discriminator(fake.detach())
        loss_d = 0.5 * discriminator_loss(real_logits.float(), fake_logits.float(), "non_saturating")
    ctx.optimize("discriminator", loss_d)
    if loss_d.item() < REINIT_BELOW:
        log.info(
            "step %d: discriminator loss %.1e < %.0e: re-initialising it", ctx.step + 1, loss_d, REINIT_BELOW
        )
        model.discriminator.apply(init_weights)
    return {
        "loss_d": loss_d.detach(),
        "loss_g": loss_g.detach(),
        "loss_adv": loss_adv.detach(),
        "loss_con": loss_con.detach(),
        "loss_enc": loss_enc.detach(),
        "d_real": torch.sigmoid(real_logits.detach().float()).mean(),
        "d_fake": torch.sigmoid(fake_logits.detach().float()).mean(),
    }
