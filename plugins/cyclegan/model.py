"""The CycleGAN model: generators A->B and B->A, a discriminator for each domain."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from zoo_plugins.cyclegan.pool import ImagePool
from zoo_plugins.cyclegan.warp import AffineWarp
from zoo_plugins.pix2pix.convert import generator_from_original
from zoo_plugins.pix2pix.model import TranslationModel, check_test_mode, panels
from zoo_plugins.pix2pix.networks import define_discriminator, define_generator, init_weights

from zoo.config_checks import Size
from zoo.images import ImageLike

DIRECTIONS = ("AtoB", "BtoA")


class CycleGAN(TranslationModel):
    """Zhu et al. 2017: ``generator_ab``/``generator_ba``; ``discriminator_a`` judges domain A images,
    ``discriminator_b`` domain B (the original calls them D_B and D_A: each is named after the
    generator whose output it judges).

    The four networks are saved as ONE safetensors file with prefixed keys (``generator_ab.``, ...):
    a model is one state dict, so ``zoo.load``, ``zoo publish``, run directories and hashes work as for
    every other model, and the two directions can never be mixed from different runs.

    Both generators share one optimiser, as do both discriminators (as the original's
    ``itertools.chain``): the generator loss couples the two generators, so it is backpropagated
    once into both. ``generators``/``discriminators`` are those groups. Defaults are the original's
    CycleGAN options (``resnet_9blocks``, ``basic`` PatchGAN, instance norm, no dropout).
    ``netD=None`` builds the generators alone (converted inference weights). ``n_downsampling``
    (ResNet generators) below the original's 2 shrinks what one output pixel sees; ``global_affine``
    puts a spatial transformer (``zoo_plugins.cyclegan.warp``) in front of each generator, whose
    weights are then under ``generator_ab.generator.`` and ``generator_ab.localization.``.
    ``test_mode`` says how ``translate`` runs the generators, as for Pix2Pix (converted: ``"original"``).
    ``two_way=False`` builds ``generator_ab`` alone: a model converted from one released generator
    (the original's ``horse2zebra.pth`` is one direction), which translates ``AtoB`` only.
    """

    optimized = ("generators", "discriminators")
    config_constraints = {
        **TranslationModel.config_constraints,
        "pool_size": Size(min=0),
        "n_downsampling": Size(min=0),
    }

    def __init__(
        self,
        in_channels: int = 3,
        out_channels: int = 3,
        netG: str = "resnet_9blocks",
        netD: str | None = "basic",
        ngf: int = 64,
        ndf: int = 64,
        n_layers_D: int = 3,
        norm: str = "instance",
        dropout: bool = False,
        init_gain: float = 0.02,
        pool_size: int = 50,
        n_downsampling: int = 2,
        global_affine: bool = False,
        two_way: bool = True,
        test_mode: str = "eval",
    ) -> None:
        super().__init__()
        check_test_mode(test_mode)
        if not two_way and netD is not None:
            raise ValueError("two_way=False is an inference model of one generator: it needs netD=None")
        gen = {"ngf": ngf, "norm": norm, "dropout": dropout, "n_downsampling": n_downsampling}
        self.generator_ab = define_generator(netG, in_channels, out_channels, **gen)
        self.generator_ba = define_generator(netG, out_channels, in_channels, **gen) if two_way else None
        self.discriminator_a = self.discriminator_b = None
        if netD is None:
            self.optimized = ("generators",)
        else:
            self.discriminator_a = define_discriminator(netD, in_channels, ndf, norm, n_layers_D)
            self.discriminator_b = define_discriminator(netD, out_channels, ndf, norm, n_layers_D)
        for net in self.children():
            init_weights(net, init_gain)
        if global_affine:  # after the original's init, so each warp starts as the identity
            self.generator_ab = AffineWarp(self.generator_ab, in_channels)
            if two_way:
                self.generator_ba = AffineWarp(self.generator_ba, out_channels)
        self.pool_a, self.pool_b = ImagePool(pool_size), ImagePool(pool_size)  # generated A, generated B

    @property
    def generators(self) -> nn.ModuleList:
        """Both generators, optimised together (a view: their weights stay under their own names)."""
        return nn.ModuleList([g for g in (self.generator_ab, self.generator_ba) if g is not None])

    @property
    def discriminators(self) -> nn.ModuleList:
        """Both discriminators, optimised together (a view)."""
        return nn.ModuleList([self.discriminator_a, self.discriminator_b])

    def translate(self, image: ImageLike, direction: str = "AtoB", seed: int | None = None) -> ImageLike:
        """``image`` (PIL, path or tensor in [0, 1], any size) translated ``AtoB`` or ``BtoA``, as the
        same kind and size; ``seed`` fixes the dropout of ``test_mode: original``."""
        if direction not in DIRECTIONS:
            raise ValueError(f"direction must be 'AtoB' or 'BtoA', not {direction!r}")
        if direction == "BtoA" and self.generator_ba is None:
            raise ValueError(
                "this CycleGAN translates AtoB only: it was converted from one released generator; "
                "convert the other direction's file (e.g. zebra2horse.pth) as a model of its own"
            )
        if direction == "AtoB":
            return self.run_generator(self.generator_ab, image, self.config["in_channels"], seed)
        return self.run_generator(self.generator_ba, image, self.config["out_channels"], seed)

    def forward(self, image: torch.Tensor, direction: str = "AtoB") -> torch.Tensor:
        return self.translate(image, direction)

    def sample_images(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """Training grid rows, as the original's visuals: A | A->B | A->B->A | B | B->A | B->A->B."""
        fake_b, fake_a = self.translate(batch["A"], "AtoB"), self.translate(batch["B"], "BtoA")
        rec_a, rec_b = self.translate(fake_b, "BtoA"), self.translate(fake_a, "AtoB")
        return panels(batch["A"], fake_b, rec_a, batch["B"], fake_a, rec_b)

    @classmethod
    def convert_original(
        cls,
        state_ab: dict[str, torch.Tensor],
        state_ba: dict[str, torch.Tensor] | None = None,
        netG: str | None = None,
        norm: str | None = None,
        dropout: bool | None = None,
    ) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
        """The original's ``latest_net_G_A.pth`` (A->B) and ``latest_net_G_B.pth`` (B->A) as our weights
        and model config (generators only); one file alone (a released model such as ``horse2zebra.pth``)
        gives a one-direction model (``two_way=False``). ``dropout`` as for ``Pix2Pix.convert_original``
        (off when a U-Net file's is not given: the original CycleGAN's default)."""
        ab, found = generator_from_original(
            state_ab, "the A->B checkpoint (G_A)", netG=netG, norm=norm, dropout=dropout
        )
        config = {k: found[k] for k in ("netG", "ngf", "in_channels", "out_channels", "norm")}
        config |= {"dropout": found.get("dropout", False), "netD": None, "test_mode": "original"}
        state = {f"generator_ab.{k}": v for k, v in ab.items()}
        if state_ba is None:
            return state, {**config, "two_way": False}
        reverse = {
            "netG": found["netG"],
            "norm": found["norm"],
            "ngf": found["ngf"],
            "dropout": config["dropout"],
        }
        reverse |= {"in_channels": found["out_channels"], "out_channels": found["in_channels"]}
        ba, _ = generator_from_original(state_ba, "the B->A checkpoint (G_B)", **reverse)
        return state | {f"generator_ba.{k}": v for k, v in ba.items()}, config
