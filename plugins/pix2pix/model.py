"""The pix2pix model: a generator from domain A to B and a conditional PatchGAN discriminator."""

from __future__ import annotations

from typing import Any

import torch
from zoo_plugins.pix2pix.convert import generator_from_original
from zoo_plugins.pix2pix.networks import define_discriminator, define_generator, init_weights

from zoo.config_checks import Size
from zoo.images import ImageLike, denormalize, normalize, to_batch
from zoo.model import GANModel


class TranslationModel(GANModel):
    """Shared by pix2pix and CycleGAN: images in [0, 1] outside, [-1, 1] (tanh) inside the networks."""

    task = "translate"
    averaged = ()  # the papers use the trained generators as they are, with no moving average
    config_constraints = {
        name: Size() for name in ("in_channels", "out_channels", "ngf", "ndf", "n_layers_D")
    }

    normalize = staticmethod(normalize)
    denormalize = staticmethod(denormalize)

    @classmethod
    def config_from_data(cls, options: dict[str, Any], data: str | dict[str, Any]) -> dict[str, Any]:
        """``in_channels`` and ``out_channels`` from a folder's first A and B images, where unset."""
        from zoo.data import folder_sample

        sample = folder_sample(data)
        if sample is None:
            return options
        return {"in_channels": sample["A"].shape[0], "out_channels": sample["B"].shape[0], **options}

    def check_training_data(self, item: dict[str, torch.Tensor]) -> None:
        """Raise ``ValueError`` saying what to change when an ``{"A", "B"}`` item does not fit the nets."""
        for side, option in (("A", "in_channels"), ("B", "out_channels")):
            channels, expected = item[side].shape[0], self.config[option]
            if channels != expected:
                raise ValueError(
                    f"its {side} images have {channels} channels but the model's {option} is {expected}: set "
                    f"`model.{option}: {channels}` (--set model.{option}={channels}) or read the data with "
                    f"{expected} channels ({{name: ..., path: ..., channels: {expected}}})"
                )
        multiple = max(g.multiple for g in self.children() if hasattr(g, "multiple"))
        h, w = item["A"].shape[-2:]
        if h % multiple or w % multiple:
            raise ValueError(
                f"{self.config['netG']} needs image sides that are multiples of {multiple}, the data's are "
                f"{w}x{h}: give the data a size ({{name: ..., path: ..., size: N}}) or choose another netG"
            )

    @torch.no_grad()
    def run_generator(self, generator: torch.nn.Module, image: ImageLike, channels: int) -> ImageLike:
        """Translate ``image`` (PIL, path or tensor in [0, 1]) with ``generator``; returns the same kind."""
        batch, back = to_batch(image, channels)
        h, w = batch.shape[-2:]
        if h % generator.multiple or w % generator.multiple:
            raise ValueError(
                f"{self.config['netG']} needs image sides that are multiples of {generator.multiple}, "
                f"got {w}x{h}: resize or crop the image"
            )
        param = next(generator.parameters())
        out = generator(self.normalize(batch.to(param.device, param.dtype)))
        return back(self.denormalize(out).to(batch.device))


def panels(*images: torch.Tensor) -> torch.Tensor:
    """Images ``(N, C, H, W)`` in [0, 1] side by side as ``(N, K, C, H, W)`` for the trainer's sample
    grid; grey panels become RGB when any panel is in colour."""
    channels = max(image.shape[1] for image in images)
    return torch.stack([image.float().expand(-1, channels, -1, -1) for image in images], 1)


class Pix2Pix(TranslationModel):
    """Isola et al. 2017: ``generator`` maps A to B; ``discriminator`` judges (A, B) pairs patch by patch.

    Defaults are the original's pix2pix options (``unet_256``, ``basic`` 70x70 PatchGAN, batch norm,
    dropout, 64 filters). ``netD=None`` builds the generator alone (converted inference weights).
    ``zoo.load`` returns it in eval mode (running batch-norm statistics, no dropout), as the original's
    test script with ``--eval``; without ``--eval`` the original keeps train mode at test time.
    """

    def __init__(
        self,
        in_channels: int = 3,
        out_channels: int = 3,
        netG: str = "unet_256",
        netD: str | None = "basic",
        ngf: int = 64,
        ndf: int = 64,
        n_layers_D: int = 3,
        norm: str = "batch",
        dropout: bool = True,
        init_gain: float = 0.02,
    ) -> None:
        super().__init__()
        self.generator = define_generator(netG, in_channels, out_channels, ngf, norm, dropout)
        init_weights(self.generator, init_gain)
        self.discriminator = None
        if netD is None:
            self.optimized = ("generator",)
        else:
            channels = in_channels + out_channels  # conditional: D sees the input beside the output
            self.discriminator = init_weights(
                define_discriminator(netD, channels, ndf, norm, n_layers_D), init_gain
            )

    def translate(self, image: ImageLike) -> ImageLike:
        """``image`` (PIL, path or tensor in [0, 1]) translated from domain A to B, as the same kind."""
        return self.run_generator(self.generator, image, self.config["in_channels"])

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return self.translate(image)

    def sample_images(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """Training grid rows: input | output | target."""
        return panels(batch["A"], self.translate(batch["A"]), batch["B"])

    @classmethod
    def convert_original(
        cls, state_dict: dict[str, torch.Tensor], netG: str | None = None, norm: str | None = None
    ) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
        """An original ``latest_net_G.pth`` state dict as our weights and model config (generator only)."""
        state, found = generator_from_original(state_dict, "the checkpoint", netG=netG, norm=norm)
        config = {k: found[k] for k in ("netG", "ngf", "in_channels", "out_channels", "norm")}
        if "dropout" in found:
            config["dropout"] = found["dropout"]
        return {f"generator.{k}": v for k, v in state.items()}, {**config, "netD": None}
