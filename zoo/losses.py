"""Adversarial losses shared by every variant, on raw discriminator logits.

``kind`` names the formulation: ``non_saturating`` and ``minimax`` (Goodfellow et al. 2014; they
differ only in the generator's loss), ``lsgan`` (Mao et al. 2017) and ``hinge`` (Lim & Ye 2017).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

KINDS = ("non_saturating", "minimax", "lsgan", "hinge")


def _check(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"unknown adversarial loss {kind!r}; choose one of {', '.join(KINDS)}")


def discriminator_loss(real: torch.Tensor, fake: torch.Tensor, kind: str = "non_saturating") -> torch.Tensor:
    """Loss of the discriminator given its logits on real and on generated samples."""
    _check(kind)
    if kind == "lsgan":
        return 0.5 * (F.mse_loss(real, torch.ones_like(real)) + F.mse_loss(fake, torch.zeros_like(fake)))
    if kind == "hinge":
        return F.relu(1 - real).mean() + F.relu(1 + fake).mean()
    return F.binary_cross_entropy_with_logits(
        real, torch.ones_like(real)
    ) + F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake))


def generator_loss(fake: torch.Tensor, kind: str = "non_saturating") -> torch.Tensor:
    """Loss of the generator given the discriminator's logits on its samples.

    ``minimax`` minimises ``log(1 - D(G(z)))`` as in the original paper (its gradient vanishes when D
    wins); ``non_saturating`` minimises ``-log D(G(z))`` instead.
    """
    _check(kind)
    if kind == "minimax":
        return -F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake))
    if kind == "lsgan":
        return 0.5 * F.mse_loss(fake, torch.ones_like(fake))
    if kind == "hinge":
        return -fake.mean()
    return F.binary_cross_entropy_with_logits(fake, torch.ones_like(fake))
