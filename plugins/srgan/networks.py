"""The networks of Ledig et al. 2017: the SRResNet generator and the VGG-style discriminator.

Generator: 9x9 conv + PReLU, ``blocks`` residual blocks (conv-BN-PReLU-conv-BN), a 3x3 conv + BN with a skip
from the head, one conv + PixelShuffle(2) + PReLU stage per factor 2 of ``scale``, and a 9x9 conv out. It maps
images in [0, 1] to images in [0, 1] (unclamped while training, clamped for inference). ``bicubic_skip``
(not in the paper) adds the bicubic upsampling of the input to the output, so the network learns only the
residual: a short CPU training run starts at bicubic quality instead of from scratch.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from zoo.metrics.superres import upsample_bicubic

SCALES = (2, 4, 8)


class ResidualBlock(nn.Module):
    """conv-BN-PReLU-conv-BN plus the identity (BN optional: ``nn.Identity`` when off)."""

    def __init__(self, channels: int, batch_norm: bool = True) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1, bias=not batch_norm)
        self.bn1 = nn.BatchNorm2d(channels) if batch_norm else nn.Identity()
        self.act = nn.PReLU()
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=not batch_norm)
        self.bn2 = nn.BatchNorm2d(channels) if batch_norm else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.bn2(self.conv2(self.act(self.bn1(self.conv1(x)))))


class Upsample2x(nn.Module):
    """Sub-pixel convolution: conv to 4x the channels, PixelShuffle(2), PReLU."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(channels, channels * 4, 3, padding=1)
        self.shuffle = nn.PixelShuffle(2)
        self.act = nn.PReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.shuffle(self.conv(x)))


class Generator(nn.Module):
    """SRResNet: ``(N, C, h, w)`` in [0, 1] to ``(N, C, scale*h, scale*w)``; any input size."""

    def __init__(
        self,
        channels: int = 3,
        width: int = 64,
        blocks: int = 16,
        scale: int = 4,
        batch_norm: bool = True,
        bicubic_skip: bool = False,
    ) -> None:
        super().__init__()
        if scale not in SCALES:
            raise ValueError(f"scale must be one of {SCALES} (PixelShuffle x2 stages), got {scale}")
        self.scale = scale
        self.head = nn.Sequential(nn.Conv2d(channels, width, 9, padding=4), nn.PReLU())
        self.blocks = nn.Sequential(*(ResidualBlock(width, batch_norm) for _ in range(blocks)))
        self.fuse = nn.Sequential(
            nn.Conv2d(width, width, 3, padding=1, bias=not batch_norm),
            nn.BatchNorm2d(width) if batch_norm else nn.Identity(),
        )
        self.upsample = nn.Sequential(*(Upsample2x(width) for _ in range(int(math.log2(scale)))))
        self.tail = nn.Conv2d(width, channels, 9, padding=4)
        self.bicubic_skip = bicubic_skip
        if bicubic_skip:  # start near the bicubic baseline: a small residual
            with torch.no_grad():
                self.tail.weight.mul_(0.1)

    @property
    def context(self) -> int:
        """Low-resolution pixels on each side that can change an output pixel (the receptive radius)."""
        blocks = len(self.blocks)
        up = len(self.upsample)
        # head 4 + two 3x3 per block + fuse 1 + each upsampling conv at its own resolution + the 9x9 tail
        radius = 4 + 2 * blocks + 1 + sum(1 / 2**i for i in range(up)) + 4 / self.scale
        return math.ceil(max(radius, 2 if self.bicubic_skip else 0))  # the bicubic kernel reaches 2 pixels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = self.head(x)
        features = features + self.fuse(self.blocks(features))
        out = self.tail(self.upsample(features))
        return out + upsample_bicubic(x, self.scale) if self.bicubic_skip else out


class Discriminator(nn.Module):
    """VGG-style: 8 3x3 convs (strides 1, 2 alternating, widths w, w, 2w, 2w, 4w, 4w, 8w, 8w), BN after all
    but the first, LeakyReLU(0.2), then dense 1024, LeakyReLU, dense 1 (a logit).

    The features are average-pooled to 6x6 before the dense layers: exactly the paper's network on its
    96x96 crops (6x6 already), and usable on other crop sizes.
    """

    def __init__(self, channels: int = 3, width: int = 64, hidden: int = 1024) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        c_in = channels
        for i in range(8):
            c_out = width * 2 ** (i // 2)
            stride = 1 if i % 2 == 0 else 2
            layers.append(nn.Conv2d(c_in, c_out, 3, stride, 1, bias=i == 0))
            if i:
                layers.append(nn.BatchNorm2d(c_out))
            layers.append(nn.LeakyReLU(0.2, inplace=True))
            c_in = c_out
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(6)
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(c_in * 36, hidden), nn.LeakyReLU(0.2, inplace=True), nn.Linear(hidden, 1)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.pool(self.features(x)))
