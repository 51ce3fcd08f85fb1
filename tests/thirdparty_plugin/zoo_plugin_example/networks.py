"""The networks of ``tinygan``: an MLP generator and discriminator for small grey images."""

from __future__ import annotations

from torch import nn

from zoo.model import UnconditionalGAN


class TinyGAN(UnconditionalGAN):
    """Noise ``(N, latent_dim)`` to ``(N, 1, size, size)`` images; built from the entry's config."""

    def __init__(self, latent_dim: int = 8, hidden: int = 32, size: int = 8) -> None:
        super().__init__()
        self.latent_dim = latent_dim  # sample_latent() draws noise of this size
        pixels = size * size
        self.generator = nn.Sequential(
            nn.Linear(latent_dim, hidden),
            nn.ReLU(),
            nn.Linear(hidden, pixels),
            nn.Tanh(),
            nn.Unflatten(1, (1, size, size)),
        )
        # One logit per image: (N, 1, size, size) -> (N,)
        self.discriminator = nn.Sequential(
            nn.Flatten(),
            nn.Linear(pixels, hidden),
            nn.LeakyReLU(0.2),
            nn.Linear(hidden, 1),
            nn.Flatten(0),
        )
