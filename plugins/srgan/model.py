"""The SRGAN model: an SRResNet generator (x2, x4 or x8) and, for adversarial training, its discriminator."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from zoo_plugins.srgan.convert import generator_from_original
from zoo_plugins.srgan.images import split_input
from zoo_plugins.srgan.networks import Discriminator, Generator
from zoo_plugins.srgan.tiling import upscale_tiled

from zoo.config_checks import Size
from zoo.images import ImageLike
from zoo.metrics.superres import downsample, upsample_bicubic
from zoo.model import GANModel


class SRGAN(GANModel):
    """Ledig et al. 2017. ``generator`` maps images in [0, 1] to ``scale`` times larger ones;
    ``discriminator`` (none with ``discriminator=False``: the SRResNet stage, inference) judges HR crops.

    The low-resolution inputs of training come from ``degrade`` (the protocol's bicubic downsampling).
    """

    task = "upscale"
    config_constraints = {
        "scale": Size(min=2, power_of_two=True),
        "channels": Size(),
        "width": Size(),
        "blocks": Size(min=0),
        "d_width": Size(),
    }

    def __init__(
        self,
        scale: int = 4,
        channels: int = 3,
        width: int = 64,
        blocks: int = 16,
        batch_norm: bool = True,
        bicubic_skip: bool = False,
        discriminator: bool = True,
        d_width: int = 64,
    ) -> None:
        super().__init__()
        self.scale = scale
        self.generator = Generator(channels, width, blocks, scale, batch_norm, bicubic_skip)
        self.discriminator = Discriminator(channels, d_width) if discriminator else None
        if not discriminator:
            self.optimized = ("generator",)

    def degrade(self, hr: torch.Tensor) -> torch.Tensor:
        """The low-resolution input made from HR images (bicubic downsampling, 8-bit levels)."""
        return downsample(hr, self.scale)

    def forward(self, lr: torch.Tensor) -> torch.Tensor:
        """The generator's raw output (unclamped, for the losses)."""
        return self.generator(lr)

    @torch.no_grad()
    def upscale(
        self, image: ImageLike, tile: int = 256, pad: int | None = None, progress: bool = False
    ) -> ImageLike:
        """``image`` ``scale`` times larger, as the same kind: a PIL image or path gives a PIL image, a
        ``(C, H, W)``/``(N, C, H, W)`` tensor in [0, 1] a tensor. Any size, grayscale and alpha included.

        The image is processed in ``tile`` x ``tile`` tiles (low-resolution pixels) with ``pad`` pixels of
        context (default: the receptive radius, which makes the result equal the untiled one); alpha is
        upscaled bicubically. ``progress`` shows a bar over the tiles.
        """
        split = split_input(image)
        param = next(self.generator.parameters())
        pad = self.generator.context if pad is None else pad

        def net(tile_lr: torch.Tensor) -> torch.Tensor:
            return self.generator(tile_lr.to(param.device, param.dtype)).clamp_(0, 1)

        bar = _progress_bar() if progress else None
        try:
            on_tile = None if bar is None else _advance(bar)
            rgb = upscale_tiled(net, split.rgb.float(), self.scale, tile, pad, on_tile=on_tile)
        finally:
            if bar is not None:
                bar.close()
        alpha = None if split.alpha is None else upsample_bicubic(split.alpha.float(), self.scale)
        return split.back(rgb.clamp_(0, 1), alpha)

    @torch.no_grad()
    def sample_images(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """Training grids: for each HR crop, LR (nearest) | bicubic | SR | HR, as ``(N, 4, C, H, W)``."""
        hr = batch["hr"]
        lr = self.degrade(hr)
        nearest = F.interpolate(lr, scale_factor=self.scale, mode="nearest")
        sr = self.generator(lr).clamp(0, 1)
        return torch.stack([nearest, upsample_bicubic(lr, self.scale), sr.float(), hr], 1)

    @classmethod
    def training_notes(cls, recipe: dict[str, Any]) -> list[str]:
        """The model card says which feature network the content loss used, as the paper's VGG54 often
        cannot be had (offline machines): pretrained from the Hub, a fixed random one, or none."""
        step = recipe.get("step", {})
        content = step.get("content")
        if content is None:
            notes = ["Content loss: none (no feature network): pixel MSE and adversarial loss only."]
        else:
            where = (
                "pretrained ImageNet weights fetched by timm from the Hugging Face Hub"
                if content.get("pretrained", True)
                else f"NOT pretrained: a fixed randomly initialised backbone (seed {content.get('seed', 0)})"
            )
            notes = [
                f"Content loss: MSE of timm `{content.get('backbone', 'vgg19')}` features "
                f"(out_indices={content.get('index', 4)}), {where}."
            ]
        if step.get("pretrain_steps"):
            notes.append(
                f"The first {step['pretrain_steps']} steps were the SRResNet stage (pixel MSE alone)."
            )
        if recipe.get("init"):
            notes.append(f"The run started from the weights of {recipe['init']} (init; an SRResNet run's).")
        return notes

    @classmethod
    def convert_original(
        cls, state_dict: dict[str, torch.Tensor]
    ) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
        """A generator state dict of Lornatang's SRGAN-PyTorch as our weights and model config."""
        state, config = generator_from_original(state_dict)
        return {f"generator.{k}": v for k, v in state.items()}, config


def _progress_bar():
    from tqdm import tqdm

    return tqdm(unit="tile", desc="upscale", delay=0.1)  # drawn once the first tile tells the total


def _advance(bar):
    def on_tile(done: int, total: int) -> None:
        if bar.total != total:
            bar.reset(total=total)
        bar.update(done - bar.n)

    return on_tile
