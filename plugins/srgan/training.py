"""The SRGAN training step: both stages of the paper, chosen by the step options.

SRResNet stage (the step's defaults, and the first ``pretrain_steps`` steps of any run): pixel MSE only.
SRGAN stage: ``content`` (a perceptual loss on backbone features, weight ``content_weight``),
``adversarial_weight`` times the generator's adversarial loss, and optionally the pixel MSE
(``pixel_weight``, 0 in the paper). ``RECIPE`` is the paper's two stages in one run: what
``zoo train srgan --data DIR`` trains. The LR input is made on the fly from the HR crops by bicubic
downsampling (``model.degrade``), so the data only holds HR crops.
"""

from __future__ import annotations

import warnings

import torch
import torch.nn.functional as F
from zoo_plugins.srgan.losses import perceptual_loss
from zoo_plugins.srgan.model import SRGAN

from zoo.losses import discriminator_loss, generator_loss

#: Ledig et al. 2017 (Sec. 3.2) in one run: 10^6 SRResNet updates on the pixel MSE, then 2 x 10^5 SRGAN
#: updates with the VGG54 content loss + 10^-3 x adversarial loss; Adam (beta1 0.9), 10^-4, batch 16 of
#: 96x96 HR crops; the model's defaults are the paper's networks (16 blocks x 64, 4x, its discriminator).
#: The paper's drop to 10^-5 for the last 10^5 updates is left out, so that ``--steps N`` alone gives a
#: valid recipe; add a decay with ``--set lr_schedule.name=linear_decay --set lr_schedule.start=N``.
RECIPE = {
    "step": {
        "pretrain_steps": 1_000_000,
        "pixel_weight": 0.0,
        "content": {"backbone": "vgg19", "index": 4, "pretrained": True},
        "content_weight": 1.0,
        "adversarial_weight": 1.0e-3,
    },
    "batch_size": 16,
    "steps": 1_200_000,
    "optimizers": {
        "generator": {"name": "adam", "lr": 1.0e-4, "betas": [0.9, 0.999]},
        "discriminator": {"name": "adam", "lr": 1.0e-4, "betas": [0.9, 0.999]},
    },
    "ema": None,
}


def training_step(
    model: SRGAN,
    batch: dict,
    ctx,
    pixel_weight: float = 1.0,
    content: dict | None = None,
    content_weight: float = 1.0,
    adversarial_weight: float = 0.0,
    loss: str = "non_saturating",
    pretrain_steps: int = 0,
) -> dict[str, torch.Tensor]:
    """One update of D (when ``adversarial_weight`` > 0), then one of G; returns the values to log.

    The first ``pretrain_steps`` steps are the SRResNet stage (pixel MSE alone, the discriminator waits);
    the losses above apply from then on. A separate SRGAN stage starts from an SRResNet run with the
    recipe's ``init`` (the core's warm start).
    """
    # Built (its weights fetched) at the first step: a missing backbone fails now, not after pretraining.
    content_loss = perceptual_loss(content, ctx.device) if content is not None else None
    if ctx.step < pretrain_steps:
        if ctx.steps is not None and ctx.steps <= pretrain_steps:
            warnings.warn(
                f"this run ends at step {ctx.steps}, before the adversarial stage starts "
                f"(step.pretrain_steps = {pretrain_steps}): it trains the SRResNet stage only; "
                f"resume with --steps above {pretrain_steps} to go on to the SRGAN stage",
                stacklevel=2,
            )
        pixel_weight, content_loss, adversarial_weight = 1.0, None, 0.0
    hr = batch["hr"]
    crop = hr.shape[-1]
    if hr.shape[-2] % model.scale or crop % model.scale:
        raise ValueError(
            f"HR crops of {crop} pixels are not a multiple of the scale {model.scale}: set data.crop"
        )
    lr = model.degrade(hr)
    out: dict[str, torch.Tensor] = {}
    if adversarial_weight > 0:
        if model.discriminator is None:
            raise ValueError("adversarial_weight > 0 needs a discriminator: set model.discriminator: true")
        with ctx.autocast():
            sr = model.generator(lr)
            real_logits = model.discriminator(hr)
            fake_logits = model.discriminator(sr.detach())
            loss_d = discriminator_loss(real_logits, fake_logits, loss)
        ctx.optimize("discriminator", loss_d)
        out.update(
            loss_d=loss_d.detach(),
            d_real=torch.sigmoid(real_logits.detach().float()).mean(),
            d_fake=torch.sigmoid(fake_logits.detach().float()).mean(),
        )
    with ctx.autocast():
        sr = model.generator(lr)
        loss_pixel = F.mse_loss(sr.float(), hr)
        loss_g = pixel_weight * loss_pixel
        if content_loss is not None:
            loss_content = content_loss(sr, hr)
            loss_g = loss_g + content_weight * loss_content
            out["loss_content"] = loss_content.detach()
        if adversarial_weight > 0:
            loss_adv = generator_loss(model.discriminator(sr), loss)
            loss_g = loss_g + adversarial_weight * loss_adv
            out["loss_g_adv"] = loss_adv.detach()
    ctx.optimize("generator", loss_g)
    out.update(
        loss_g=loss_g.detach(),
        loss_pixel=loss_pixel.detach(),
        psnr_rgb=-10 * torch.log10(loss_pixel.detach()),
    )
    return out
