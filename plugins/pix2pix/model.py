"""The pix2pix model: a generator from domain A to B and a conditional PatchGAN discriminator."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import torch
import torch.nn.functional as F
from zoo_plugins.pix2pix.convert import generator_from_original
from zoo_plugins.pix2pix.networks import (
    UnetGenerator,
    define_discriminator,
    define_generator,
    init_weights,
)

from zoo.config_checks import Size
from zoo.images import ImageLike, denormalize, normalize, to_batch
from zoo.model import GANModel

#: how ``translate`` runs a generator: as the original's test.py ("original") or in eval mode ("eval")
TEST_MODES = ("original", "eval")


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

    @classmethod
    def training_notes(cls, recipe: dict[str, Any]) -> list[str]:
        """The model card says how ``translate`` runs the generators (``test_mode``)."""
        return [translate_mode_note(recipe.get("model", {}).get("test_mode", "eval"))]

    @torch.no_grad()
    def run_generator(
        self, generator: torch.nn.Module, image: ImageLike, channels: int, seed: int | None = None
    ) -> ImageLike:
        """Translate ``image`` (PIL, path or tensor in [0, 1]) with ``generator``; returns the same kind,
        at the image's own size (``fit_to_network`` says how other sizes pass through the network).

        ``test_mode: eval`` runs the generator as it is (``zoo.load`` gives eval mode); ``original``
        runs it as the original's ``test.py`` without ``--eval``: train mode, one image per batch
        (batch norm normalises each image by its own statistics; dropout on, drawn from ``seed``), the
        generator's mode and running statistics left as they were.
        """
        batch, back = to_batch(image, channels)
        param = next(generator.parameters())
        x, restore = fit_to_network(generator, self.normalize(batch.to(param.device, param.dtype)))
        if self.config.get("test_mode", "eval") == "eval":
            out = generator(x)
        else:
            out = run_in_train_mode(generator, x, seed)
        return back(self.denormalize(restore(out)).to(batch.device))


def fit_to_network(
    generator: torch.nn.Module, x: torch.Tensor
) -> tuple[torch.Tensor, Callable[[torch.Tensor], torch.Tensor]]:
    """``x`` at a size ``generator`` takes (sides multiples of ``generator.multiple``), and the function
    that brings an output back to ``x``'s size. Sizes that fit pass as they are. Otherwise a U-Net's
    input is resized (bicubic) to the nearest fitting size (``unet_256``: 256x256 for images near that
    size, as the original's test resizes) and its output resized back, since padding a U-Net's input
    moves content into its bottleneck; a ResNet's input is reflect-padded to the next multiple (two
    at least, for the blocks' own padding; edge pixels repeated when the image is too small to
    reflect) and the output cropped, which keeps every pixel as it is."""
    h, w = x.shape[-2:]
    m = generator.multiple
    if not (h % m or w % m):
        return x, lambda out: out
    if isinstance(getattr(generator, "generator", generator), UnetGenerator):
        size = [max(m, round(side / m) * m) for side in (h, w)]
        resize = partial(F.interpolate, mode="bicubic", align_corners=False)
        return resize(x, size=size), lambda out: resize(out, size=(h, w))
    pad_h, pad_w = (max(2 * m, -(-side // m) * m) - side for side in (h, w))  # 2 pixels at least inside
    mode = "reflect" if pad_h < h and pad_w < w else "replicate"  # reflection needs a side past the pad
    return F.pad(x, (0, pad_w, 0, pad_h), mode=mode), lambda out: out[..., :h, :w]


def run_in_train_mode(generator: torch.nn.Module, x: torch.Tensor, seed: int | None) -> torch.Tensor:
    """``generator`` on each image of ``x`` alone in train mode (batch statistics of that image, dropout
    drawn from ``seed`` when given), its mode and batch-norm running statistics restored afterwards."""
    buffers = {name: b.clone() for name, b in generator.named_buffers()}
    was_training = generator.training
    devices = [x.device] if x.device.type == "cuda" else []
    try:
        with torch.random.fork_rng(devices=devices, enabled=seed is not None):
            if seed is not None:
                torch.manual_seed(seed)
            generator.train()
            return torch.cat([generator(one) for one in x.split(1)])
    finally:
        generator.train(was_training)
        for name, b in generator.named_buffers():
            b.copy_(buffers[name])


def check_test_mode(test_mode: str) -> None:
    """Raise ``ValueError`` naming the choices when ``test_mode`` is not one of ``TEST_MODES``."""
    if test_mode not in TEST_MODES:
        raise ValueError(
            "test_mode must be 'original' (as the original test.py: each image's own batch statistics, "
            f"dropout on) or 'eval' (running statistics, no dropout), not {test_mode!r}"
        )


def translate_mode_note(test_mode: str) -> str:
    """One model-card line on how ``translate`` runs the generator."""
    if test_mode == "original":
        return "`translate` runs the generator as the original's test.py: batch statistics, dropout on."
    return "`translate` runs the generator in eval mode: running batch-norm statistics, no dropout."


def panels(*images: torch.Tensor) -> torch.Tensor:
    """Images ``(N, C, H, W)`` in [0, 1] side by side as ``(N, K, C, H, W)`` for the trainer's sample
    grid; grey panels become RGB when any panel is in colour."""
    channels = max(image.shape[1] for image in images)
    return torch.stack([image.float().expand(-1, channels, -1, -1) for image in images], 1)


class Pix2Pix(TranslationModel):
    """Isola et al. 2017: ``generator`` maps A to B; ``discriminator`` judges (A, B) pairs patch by patch.

    Defaults are the original's pix2pix options (``unet_256``, ``basic`` 70x70 PatchGAN, batch norm,
    dropout, 64 filters). ``netD=None`` builds the generator alone (converted inference weights).
    ``test_mode`` says how ``translate`` runs the generator: ``"eval"`` (running batch-norm statistics,
    no dropout: the original's test script with ``--eval``) or ``"original"`` (the original's test
    script by default: train mode, each image normalised by its own statistics, dropout on). Converted
    models get ``"original"``, so they give what the original's ``test.py`` gives.
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
        test_mode: str = "eval",
    ) -> None:
        super().__init__()
        check_test_mode(test_mode)
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

    def translate(self, image: ImageLike, seed: int | None = None) -> ImageLike:
        """``image`` (PIL, path or tensor in [0, 1], any size) translated from domain A to B, as the same
        kind and size; ``seed`` fixes the dropout of ``test_mode: original``."""
        return self.run_generator(self.generator, image, self.config["in_channels"], seed)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return self.translate(image)

    def sample_images(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """Training grid rows: input | output | target."""
        return panels(batch["A"], self.translate(batch["A"]), batch["B"])

    @classmethod
    def convert_original(
        cls,
        state_dict: dict[str, torch.Tensor],
        netG: str | None = None,
        norm: str | None = None,
        dropout: bool | None = None,
    ) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
        """An original ``latest_net_G.pth`` state dict as our weights and model config (generator only).

        ``dropout`` states what a U-Net file cannot tell (the original pix2pix's default, on, when not
        given); a ResNet file tells, and a ``dropout`` that disagrees is an error."""
        state, found = generator_from_original(
            state_dict, "the checkpoint", netG=netG, norm=norm, dropout=dropout
        )
        config = {k: found[k] for k in ("netG", "ngf", "in_channels", "out_channels", "norm")}
        if "dropout" in found:
            config["dropout"] = found["dropout"]
        config |= {"netD": None, "test_mode": "original"}  # translate as the original's test.py does
        return {f"generator.{k}": v for k, v in state.items()}, config
