"""The generator's three losses in GANomaly (Akcay et al. 2018, eq. 1-4), weighted 1 / 50 / 1 in the paper."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def adversarial_loss(real_features: torch.Tensor, fake_features: torch.Tensor) -> torch.Tensor:
    """Feature matching: mean squared difference of the discriminator's features of x and of G(x)."""
    return F.mse_loss(fake_features, real_features)


def contextual_loss(fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
    """L1 between the image and its reconstruction: the reconstruction must keep the input's content."""
    return F.l1_loss(fake, real)


def latent_loss(z_hat: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    """Mean squared difference of the two codes: the reconstruction must encode like the input."""
    return F.mse_loss(z_hat, z)
