"""Lornatang SRGAN-PyTorch ``model.py``: ``SRResNet`` (the generator of both stages).

``conv1`` (9x9 conv, PReLU), ``trunk`` of ``_ResidualConvBlock`` (``rcb``: conv, BN, PReLU, conv, BN),
``conv2`` (conv, BN), ``upsampling`` of ``_UpsampleBlock`` (``upsample_block``: conv, PixelShuffle, PReLU),
``conv3`` (9x9 conv), output clamped to [0, 1]. Released weights are ``{"state_dict": ...}`` (plus epoch and
scores); training checkpoints add ``ema_state_dict``; older releases named the head, fuse and tail
``conv_block1``, ``conv_block2``, ``conv_block3``.
"""

from __future__ import annotations

import math

import torch
from torch import nn


class _ResidualConvBlock(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.rcb = nn.Sequential(
            nn.Conv2d(channels, channels, 3, 1, 1, bias=False),
            nn.BatchNorm2d(channels),
            nn.PReLU(),
            nn.Conv2d(channels, channels, 3, 1, 1, bias=False),
            nn.BatchNorm2d(channels),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.rcb(x)


class _UpsampleBlock(nn.Module):
    def __init__(self, channels: int, upscale_factor: int = 2) -> None:
        super().__init__()
        self.upsample_block = nn.Sequential(
            nn.Conv2d(channels, channels * upscale_factor * upscale_factor, 3, 1, 1),
            nn.PixelShuffle(upscale_factor),
            nn.PReLU(),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.upsample_block(x)


class SRResNet(nn.Module):
    def __init__(
        self,
        in_channels: int = 3,
        out_channels: int = 3,
        channels: int = 64,
        num_rcb: int = 16,
        upscale_factor: int = 4,
    ) -> None:
        super().__init__()
        self.conv1 = nn.Sequential(nn.Conv2d(in_channels, channels, 9, 1, 4), nn.PReLU())
        self.trunk = nn.Sequential(*(_ResidualConvBlock(channels) for _ in range(num_rcb)))
        self.conv2 = nn.Sequential(
            nn.Conv2d(channels, channels, 3, 1, 1, bias=False), nn.BatchNorm2d(channels)
        )
        ups = int(math.log2(upscale_factor))
        self.upsampling = nn.Sequential(*(_UpsampleBlock(channels, 2) for _ in range(ups)))
        self.conv3 = nn.Conv2d(channels, out_channels, 9, 1, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out1 = self.conv1(x)
        out = out1 + self.conv2(self.trunk(out1))
        return torch.clamp(self.conv3(self.upsampling(out)), 0.0, 1.0)


class Discriminator(nn.Module):
    """The VGG-style discriminator of 96x96 crops: ``features`` (8 convolutions, stride 2 every second) and
    ``classifier`` (two linear layers); saved as ``d_best.pth.tar`` / ``d_epoch_N.pth.tar``."""

    def __init__(self, in_channels: int = 3, out_channels: int = 1, channels: int = 64) -> None:
        super().__init__()
        layers: list[nn.Module] = [
            nn.Conv2d(in_channels, channels, 3, 1, 1, bias=True),
            nn.LeakyReLU(0.2, True),
        ]
        widths = [
            channels,
            2 * channels,
            2 * channels,
            4 * channels,
            4 * channels,
            8 * channels,
            8 * channels,
        ]
        strides = [2, 1, 2, 1, 2, 1, 2]
        previous = channels
        for width, stride in zip(widths, strides, strict=True):
            layers += [nn.Conv2d(previous, width, 3, stride, 1, bias=False), nn.BatchNorm2d(width)]
            layers += [nn.LeakyReLU(0.2, True)]
            previous = width
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(
            nn.Linear(8 * channels * 6 * 6, 1024), nn.LeakyReLU(0.2, True), nn.Linear(1024, out_channels)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.flatten(self.features(x), 1))
