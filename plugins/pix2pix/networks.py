"""The networks of pix2pix and CycleGAN, built exactly as pytorch-CycleGAN-and-pix2pix builds them.

Module nesting and order follow the original ``models/networks.py`` so that its state dicts (e.g.
``latest_net_G.pth``) load here strictly with the same parameter names: a U-Net is nested
``UnetBlock``s each holding ``model`` (a Sequential), a ResNet generator is one ``model`` Sequential,
PatchGAN discriminators are ``model``, the pixel discriminator is ``net``. As in the original, a
convolution followed by batch norm has no bias, one followed by instance norm (no affine parameters,
no running statistics) has one. CycleGAN imports this module; it is the one copy of these networks.
"""

from __future__ import annotations

import math
import re

import torch
from torch import nn

NORMS = ("batch", "instance", "none")
DISCRIMINATORS = ("basic", "n_layers", "pixel")


def norm_layer(kind: str, channels: int) -> nn.Module:
    """Batch norm, instance norm (affine=False, no running stats, as the original) or nothing."""
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "instance":
        return nn.InstanceNorm2d(channels)
    if kind == "none":
        return nn.Identity()
    raise ValueError(f"unknown norm {kind!r}; choose one of {', '.join(NORMS)}")


class UnetBlock(nn.Module):
    """One level of the U-Net: down-convolve, run the inner levels, up-convolve, concatenate the skip.

    The outermost level maps ``in_channels`` to ``outer`` output channels and has no skip; the
    innermost has no inner levels. Dropout(0.5) closes the middle levels that ask for it.
    """

    def __init__(
        self,
        outer: int,
        inner: int,
        norm: str,
        in_channels: int | None = None,
        submodule: nn.Module | None = None,
        outermost: bool = False,
        innermost: bool = False,
        dropout: bool = False,
    ) -> None:
        super().__init__()
        self.outermost = outermost
        bias = norm == "instance"
        down = nn.Conv2d(in_channels or outer, inner, 4, 2, 1, bias=bias)
        if outermost:
            up = nn.ConvTranspose2d(inner * 2, outer, 4, 2, 1)
            layers = [down, submodule, nn.ReLU(True), up, nn.Tanh()]
        elif innermost:
            up = nn.ConvTranspose2d(inner, outer, 4, 2, 1, bias=bias)
            layers = [nn.LeakyReLU(0.2, True), down, nn.ReLU(True), up, norm_layer(norm, outer)]
        else:
            up = nn.ConvTranspose2d(inner * 2, outer, 4, 2, 1, bias=bias)
            layers = [nn.LeakyReLU(0.2, True), down, norm_layer(norm, inner), submodule]
            layers += [nn.ReLU(True), up, norm_layer(norm, outer)]
            layers += [nn.Dropout(0.5)] if dropout else []
        self.model = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x) if self.outermost else torch.cat([x, self.model(x)], 1)


class UnetGenerator(nn.Module):
    """U-Net with ``downs`` halvings: ``unet_256`` has 8 (256 px to 1x1), ``unet_128`` has 7."""

    def __init__(
        self, in_channels: int, out_channels: int, downs: int, ngf: int, norm: str, dropout: bool
    ) -> None:
        super().__init__()
        if downs < 5:
            raise ValueError(f"a U-Net needs at least 5 down-samplings (unet_32), got {downs}")
        self.multiple = 2**downs  # input sides must be multiples of this
        block = UnetBlock(ngf * 8, ngf * 8, norm, innermost=True)
        for _ in range(downs - 5):
            block = UnetBlock(ngf * 8, ngf * 8, norm, submodule=block, dropout=dropout)
        for mult in (4, 2, 1):
            block = UnetBlock(ngf * mult, ngf * mult * 2, norm, submodule=block)
        self.model = UnetBlock(out_channels, ngf, norm, in_channels, block, outermost=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)


class ResnetBlock(nn.Module):
    """Two reflection-padded 3x3 convolutions with a residual connection (dropout between them)."""

    def __init__(self, dim: int, norm: str, dropout: bool) -> None:
        super().__init__()
        bias = norm == "instance"
        layers = [
            nn.ReflectionPad2d(1),
            nn.Conv2d(dim, dim, 3, bias=bias),
            norm_layer(norm, dim),
            nn.ReLU(True),
        ]
        layers += [nn.Dropout(0.5)] if dropout else []
        layers += [nn.ReflectionPad2d(1), nn.Conv2d(dim, dim, 3, bias=bias), norm_layer(norm, dim)]
        self.conv_block = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv_block(x)


class ResnetGenerator(nn.Module):
    """Johnson et al.'s generator: 7x7 stem, ``downs`` stride-2 downs (the original's 2), ``blocks``
    residual blocks, as many ups. Fewer downs shrink the receptive field (0: full resolution throughout)."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        blocks: int,
        ngf: int,
        norm: str,
        dropout: bool,
        downs: int = 2,
    ) -> None:
        super().__init__()
        if downs < 0:
            raise ValueError(f"a ResNet generator needs n_downsampling >= 0, got {downs}")
        self.multiple = 2**downs
        bias = norm == "instance"
        layers = [nn.ReflectionPad2d(3), nn.Conv2d(in_channels, ngf, 7, bias=bias), norm_layer(norm, ngf)]
        layers.append(nn.ReLU(True))
        for mult in (2**i for i in range(downs)):
            layers += [nn.Conv2d(ngf * mult, ngf * mult * 2, 3, 2, 1, bias=bias)]
            layers += [norm_layer(norm, ngf * mult * 2), nn.ReLU(True)]
        layers += [ResnetBlock(ngf * 2**downs, norm, dropout) for _ in range(blocks)]
        for mult in (2**i for i in range(downs, 0, -1)):
            layers += [nn.ConvTranspose2d(ngf * mult, ngf * mult // 2, 3, 2, 1, output_padding=1, bias=bias)]
            layers += [norm_layer(norm, ngf * mult // 2), nn.ReLU(True)]
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(ngf, out_channels, 7), nn.Tanh()]
        self.model = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)


class NLayerDiscriminator(nn.Module):
    """PatchGAN: ``layers`` stride-2 convolutions then two stride-1 ones; ``basic`` (3) sees 70x70 patches."""

    def __init__(self, in_channels: int, ndf: int, layers: int, norm: str) -> None:
        super().__init__()
        bias = norm == "instance"
        seq: list[nn.Module] = [nn.Conv2d(in_channels, ndf, 4, 2, 1), nn.LeakyReLU(0.2, True)]
        mult = 1
        for n in range(1, layers + 1):
            prev, mult = mult, min(2**n, 8)
            stride = 2 if n < layers else 1
            seq += [nn.Conv2d(ndf * prev, ndf * mult, 4, stride, 1, bias=bias), norm_layer(norm, ndf * mult)]
            seq.append(nn.LeakyReLU(0.2, True))
        seq.append(nn.Conv2d(ndf * mult, 1, 4, 1, 1))
        self.model = nn.Sequential(*seq)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)


class PixelDiscriminator(nn.Module):
    """1x1 convolutions only: a real/fake logit for every pixel (``pixel``, PixelGAN)."""

    def __init__(self, in_channels: int, ndf: int, norm: str) -> None:
        super().__init__()
        bias = norm == "instance"
        self.net = nn.Sequential(
            nn.Conv2d(in_channels, ndf, 1),
            nn.LeakyReLU(0.2, True),
            nn.Conv2d(ndf, ndf * 2, 1, bias=bias),
            norm_layer(norm, ndf * 2),
            nn.LeakyReLU(0.2, True),
            nn.Conv2d(ndf * 2, 1, 1, bias=bias),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def parse_generator(name: str) -> tuple[str, int]:
    """``unet_256`` -> ("unet", 8 downs); ``resnet_9blocks`` -> ("resnet", 9 blocks).

    Besides the original names, ``unet_N`` for any power of two N >= 32 and ``resnet_Nblocks`` are
    accepted (small U-Nets for small images).
    """
    if m := re.fullmatch(r"unet_(\d+)", name):
        size = int(m[1])
        if size >= 32 and size & (size - 1) == 0:
            return "unet", int(math.log2(size))
    elif m := re.fullmatch(r"resnet_(\d+)blocks", name):
        return "resnet", int(m[1])
    raise ValueError(
        f"unknown generator {name!r}: use unet_256, unet_128 (or unet_N, N a power of two >= 32), "
        "resnet_9blocks or resnet_6blocks (or resnet_Nblocks)"
    )


def define_generator(
    name: str,
    in_channels: int,
    out_channels: int,
    ngf: int,
    norm: str,
    dropout: bool,
    n_downsampling: int = 2,
) -> nn.Module:
    """The generator the original's ``--netG NAME`` builds; ``n_downsampling`` (ResNet generators
    only) changes the original's 2 stride-2 downs, e.g. to 0 or 1 for a smaller receptive field."""
    kind, n = parse_generator(name)
    if kind == "unet":
        if n_downsampling != 2:
            raise ValueError(
                f"n_downsampling applies to resnet_* generators only, not {name!r}: leave it at 2"
            )
        return UnetGenerator(in_channels, out_channels, n, ngf, norm, dropout)
    return ResnetGenerator(in_channels, out_channels, n, ngf, norm, dropout, n_downsampling)


def define_discriminator(name: str, in_channels: int, ndf: int, norm: str, n_layers: int = 3) -> nn.Module:
    """The discriminator the original's ``--netD NAME`` builds (``n_layers`` for ``n_layers``)."""
    if name == "basic":
        return NLayerDiscriminator(in_channels, ndf, 3, norm)
    if name == "n_layers":
        return NLayerDiscriminator(in_channels, ndf, n_layers, norm)
    if name == "pixel":
        return PixelDiscriminator(in_channels, ndf, norm)
    raise ValueError(f"unknown discriminator {name!r}; choose one of {', '.join(DISCRIMINATORS)}")


def init_weights(net: nn.Module, gain: float = 0.02) -> nn.Module:
    """The original's ``normal`` init: conv/linear weights N(0, gain), biases 0, BN scales N(1, gain)."""
    for m in net.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, gain)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, gain)
            nn.init.zeros_(m.bias)
    return net
