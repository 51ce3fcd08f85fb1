"""The CycleGAN training step: LSGAN + cycle (lambda 10) + identity (0.5 * lambda) losses, image pools;
optionally CyCADA's semantic-consistency loss (``zoo_plugins.cyclegan.semantic``)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from zoo_plugins.cyclegan.model import CycleGAN
from zoo_plugins.cyclegan.semantic import load_classifier, load_judges, semantic_loss

from zoo.losses import discriminator_loss

#: The paper's training (Sec. 4 and the original train.py defaults): batch 1, Adam 2e-4 (0.5, 0.999) (the
#: trainer's default), 100 epochs at that rate then 100 decaying linearly to 0, no weight averaging.
#: 266,800 steps are its 200 epochs of horse2zebra (1,334 images in the larger domain); the model's
#: defaults are the paper's resnet_9blocks generators and 70x70 PatchGANs with instance norm.
RECIPE = {
    "batch_size": 1,
    "steps": 266_800,
    "lr_schedule": {"name": "linear_decay", "start": 0.5},
    "ema": None,
}


def _lsgan_g(pred: torch.Tensor) -> torch.Tensor:
    """The generator's LSGAN loss, (D(G(x)) - 1)^2, unhalved as in the original (zoo.losses halves it)."""
    return F.mse_loss(pred.float(), torch.ones_like(pred, dtype=torch.float32))


def _noisy(images: torch.Tensor, std: float) -> torch.Tensor:
    """``images`` plus Gaussian noise of ``std`` (the trainer's seeded RNG), or as they are."""
    return images + std * torch.randn_like(images) if std > 0 else images


def training_step(
    model: CycleGAN,
    batch: dict,
    ctx,
    lambda_a: float = 10.0,
    lambda_b: float = 10.0,
    lambda_identity: float = 0.5,
    cycle_noise: float = 0.0,
    lambda_semantic: float = 0.0,
    semantic_classifier: dict | None = None,
    semantic_judges: dict | None = None,
    semantic_jitter: bool = False,
) -> dict[str, torch.Tensor]:
    """Update both generators on adversarial + cycle + identity losses, then both discriminators on
    real images vs generated ones drawn from the 50-image history pools (order as the original).

    ``cycle_noise`` > 0 (not in the paper; 0 keeps it) adds Gaussian noise of that std (network space,
    [-1, 1]) to the translations before they are translated back: a generator can then no longer hide
    its input in faint patterns (Chu et al. 2017, "CycleGAN, a Master of Steganography") and has to
    keep what the cycle needs visible.

    ``lambda_semantic`` > 0 (CyCADA, not in the CycleGAN paper) adds that weight times the
    semantic-consistency loss of the frozen ``semantic_classifier`` (``{model, checkpoint, ...}``, a timm
    classifier) on both directions' translations, each against the classifier's label of its input."""
    if cycle_noise < 0:
        raise ValueError(f"step.cycle_noise is a noise std and must be >= 0, got {cycle_noise}")
    if model.discriminator_a is None:
        raise ValueError("this CycleGAN model has no discriminators (netD: null): set model.netD to train it")
    if lambda_identity > 0 and model.config["in_channels"] != model.config["out_channels"]:
        raise ValueError(
            "the identity loss needs domains with equal channel counts "
            f"({model.config['in_channels']} vs {model.config['out_channels']}): set step.lambda_identity: 0"
        )
    classifier = None
    if lambda_semantic > 0:
        if semantic_classifier is None:
            raise ValueError(
                "step.lambda_semantic > 0 needs step.semantic_classifier: "
                "{model: TIMM_NAME, checkpoint: FILE}"
            )
        classifier = load_classifier(semantic_classifier, ctx.device)
    for name, given in (
        ("semantic_judges", semantic_judges is not None),
        ("semantic_jitter", semantic_jitter),
    ):
        if given and classifier is None:
            raise ValueError(f"step.{name} needs step.lambda_semantic > 0 and step.semantic_classifier")
    judges = load_judges(semantic_judges, ctx.device) if semantic_judges is not None else {}
    real_a, real_b = model.normalize(batch["A"]), model.normalize(batch["B"])
    g_ab, g_ba, d_a, d_b = (
        model.generator_ab,
        model.generator_ba,
        model.discriminator_a,
        model.discriminator_b,
    )
    with ctx.autocast():
        fake_b, fake_a = g_ab(real_a), g_ba(real_b)
        rec_a, rec_b = g_ba(_noisy(fake_b, cycle_noise)), g_ab(_noisy(fake_a, cycle_noise))
        loss_adv = _lsgan_g(d_b(fake_b)) + _lsgan_g(d_a(fake_a))
        loss_cycle = lambda_a * F.l1_loss(rec_a.float(), real_a) + lambda_b * F.l1_loss(rec_b.float(), real_b)
        loss_idt = torch.zeros((), device=real_a.device)
        if lambda_identity > 0:  # G_AB should leave B images alone
            loss_idt = lambda_identity * (
                lambda_b * F.l1_loss(g_ab(real_b).float(), real_b)
                + lambda_a * F.l1_loss(g_ba(real_a).float(), real_a)
            )
        loss_sem = torch.zeros((), device=real_a.device)
        if classifier is not None:
            loss_sem = lambda_semantic * sum(  # each translation against its input, judged in its domain
                semantic_loss(
                    classifier, batch[src], model.denormalize(fake), judges.get(dst, ()), semantic_jitter
                )
                for src, dst, fake in (("A", "B", fake_b), ("B", "A", fake_a))
            )
        loss_g = loss_adv + loss_cycle + loss_idt + loss_sem
    ctx.optimize("generators", loss_g)

    with ctx.autocast():
        real_logits_a, real_logits_b = d_a(real_a), d_b(real_b)
        fake_logits_a = d_a(model.pool_a.query(fake_a))
        fake_logits_b = d_b(model.pool_b.query(fake_b))
        loss_d_a = discriminator_loss(
            real_logits_a, fake_logits_a, "lsgan"
        )  # 0.5 * (real + fake), as the original
        loss_d_b = discriminator_loss(real_logits_b, fake_logits_b, "lsgan")
    ctx.optimize("discriminators", loss_d_a + loss_d_b)
    return {
        "loss_d": (loss_d_a + loss_d_b).detach(),
        "loss_g": loss_g.detach(),
        "loss_cycle": loss_cycle.detach(),
        "loss_idt": loss_idt.detach(),
        **({"loss_semantic": loss_sem.detach()} if classifier is not None else {}),
        "d_real": 0.5 * (real_logits_a.detach().float().mean() + real_logits_b.detach().float().mean()),
        "d_fake": 0.5 * (fake_logits_a.detach().float().mean() + fake_logits_b.detach().float().mean()),
    }
