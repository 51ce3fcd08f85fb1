"""The image history pool of CycleGAN (Shrivastava et al. 2017): D also sees older generated images."""

from __future__ import annotations

import torch


class ImagePool:
    """Keeps up to ``size`` generated images; each query returns, image by image, either the new one or
    (with probability 1/2, once full) a stored one swapped out for it. ``size`` 0 returns the batch.

    The pool lives in memory only, as in the original: a resumed run starts with an empty pool.
    """

    def __init__(self, size: int = 50) -> None:
        self.size = size
        self.images: list[torch.Tensor] = []

    def query(self, images: torch.Tensor) -> torch.Tensor:
        if self.size == 0:
            return images.detach()
        out = []
        for image in images.detach():
            if len(self.images) < self.size:
                self.images.append(image)
                out.append(image)
            elif torch.rand(()) < 0.5:  # the trainer's seeded RNG: runs are reproducible
                i = int(torch.randint(self.size, ()))
                out.append(self.images[i])
                self.images[i] = image
            else:
                out.append(image)
        return torch.stack(out)
