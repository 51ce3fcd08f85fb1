"""The pix2pix training step: conditional GAN loss (BCE on PatchGAN logits) plus lambda * L1 to the target."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from zoo_plugins.pix2pix.model import Pix2Pix

from zoo.losses import discriminator_loss, generator_loss

#: The original repository's pix2pix training (train.py defaults): batch 1, Adam 2e-4 (0.5, 0.999) (the
#: trainer's default), 100 epochs at that rate then 100 decaying linearly to 0, no weight averaging.
#: 80,000 steps are its 200 epochs of facades (400 pairs); the model's defaults are the paper's unet_256
#: and 70x70 PatchGAN.
RECIPE = {
    "batch_size": 1,
    "steps": 80_000,
    "lr_schedule": {"name": "linear_decay", "start": 0.5},
    "ema": None,
}


def training_step(model: Pix2Pix, batch: dict, ctx, lambda_l1: float = 100.0) -> dict[str, torch.Tensor]:
    """Update D on (A, B) real pairs vs (A, G(A)) pairs, then G to fool D and stay near B in L1.

    As the original: D's loss is halved (it learns more slowly than G), the GAN loss is BCE on
    logits, and G's dropout (train mode) is the only noise.
    """
    if model.discriminator is None:
        raise ValueError("this pix2pix model has no discriminator (netD: null): set model.netD to train it")
    real_a, real_b = model.normalize(batch["A"]), model.normalize(batch["B"])
    with ctx.autocast():
        fake_b = model.generator(real_a)
        pred_real = model.discriminator(torch.cat([real_a, real_b], 1))
        pred_fake = model.discriminator(torch.cat([real_a, fake_b.detach()], 1))
        loss_d = 0.5 * discriminator_loss(pred_real, pred_fake, "non_saturating")
    ctx.optimize("discriminator", loss_d)

    with ctx.autocast():
        loss_gan = generator_loss(model.discriminator(torch.cat([real_a, fake_b], 1)), "non_saturating")
        loss_l1 = F.l1_loss(fake_b.float(), real_b)
        loss_g = loss_gan + lambda_l1 * loss_l1
    ctx.optimize("generator", loss_g)
    return {
        "loss_d": loss_d.detach(),
        "loss_g": loss_g.detach(),
        "loss_g_gan": loss_gan.detach(),
        "loss_l1": loss_l1.detach(),
        "d_real": torch.sigmoid(pred_real.detach().float()).mean(),
        "d_fake": torch.sigmoid(pred_fake.detach().float()).mean(),
    }
