"""The SRGAN model: an SRResNet generator (x2, x4 or x8) and, for adversarial training, its discriminator."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from zoo_plugins.srgan.convert import generator_from_original
from zoo_plugins.srgan.images import Split, floats, split_input
from zoo_plugins.srgan.networks import Discriminator, Generator
from zoo_plugins.srgan.tiling import tile_grid, tiled_bands

from zoo.config_checks import Size
from zoo.images import ImageLike, image_format, to_uint8, write_png_rows
from zoo.metrics.superres import downsample, upsample_bicubic
from zoo.model import GANModel

_ROWS = 64  # output rows finished (luma, alpha, 8 bits) at a time: bounds the temporaries of a band


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
        self,
        image: ImageLike,
        tile: int = 256,
        pad: int | None = None,
        progress: bool = False,
        out: str | os.PathLike | None = None,
    ) -> ImageLike:
        """``image`` ``scale`` times larger, as the same kind: a PIL image or path gives a PIL image, a
        ``(C, H, W)``/``(N, C, H, W)`` tensor in [0, 1] a tensor. Any size, grayscale and alpha included.

        The image is processed in ``tile`` x ``tile`` tiles (low-resolution pixels) with ``pad`` pixels of
        context (default: the receptive radius, which makes the result equal the untiled one); alpha is
        upscaled bicubically. ``progress`` shows a bar over the rows of tiles. With ``out`` (a ``.png``
        path) the result is written there row band by row band and the path returned: the output is never
        held whole, so its size is bounded by the disk, not the memory.
        """
        split = split_input(image)
        n, _, h, w = split.rgb.shape
        size = (w * self.scale, h * self.scale)
        if out is not None:
            if n != 1 or image_format(out) != "PNG":
                raise ValueError(
                    f"upscale(out=...) writes one image as PNG: got {n} images and out={out} (use .png, "
                    "or leave out `out` to get the result in memory)"
                )
            bands = (_bytes(rows) for _, rows in self._rows(split, tile, pad, progress))
            return write_png_rows(out, size, split.mode, bands)
        if split.source is not None:
            x = split.source
            result = x.new_empty((n, len(split.mode), size[1], size[0]))
            for first, rows in self._rows(split, tile, pad, progress):
                result[..., first : first + rows.shape[-2], :] = rows
            return result[0] if x.dim() == 3 else result
        pixels = np.empty((size[1], size[0], len(split.mode)), np.uint8)
        for first, rows in self._rows(split, tile, pad, progress):
            pixels[first : first + rows.shape[-2]] = _bytes(rows)
        return Image.fromarray(pixels[..., 0] if split.mode == "L" else pixels)

    def _rows(
        self, split: Split, tile: int, pad: int | None, progress: bool
    ) -> Iterator[tuple[int, torch.Tensor]]:
        """The upscaled image as ``(first row, (N, C, rows, sW) float32 in [0, 1])``, top to bottom, a few
        output rows at a time; the progress bar advances per row of tiles."""
        param = next(self.generator.parameters())
        pad = self.generator.context if pad is None else pad
        rows, _ = tile_grid(
            *split.rgb.shape[-2:], self.scale, tile, pad
        )  # a bad tile fails before a tile runs

        def net(tile_lr: torch.Tensor) -> torch.Tensor:
            return self.generator(floats(tile_lr).to(param.device, param.dtype)).clamp_(0, 1)

        bar = _progress_bar(len(rows.starts)) if progress else None
        try:
            for top, band in tiled_bands(net, split.rgb, self.scale, tile, pad):
                for r in range(0, band.shape[-2], _ROWS):
                    yield top + r, split.finish(band[..., r : r + _ROWS, :].clamp_(0, 1), top + r, self.scale)
                if bar is not None:
                    bar.update(1)
        finally:
            if bar is not None:
                bar.close()

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


def _bytes(rows: torch.Tensor) -> np.ndarray:
    """``(1, C, rows, W)`` floats in [0, 1] as ``(rows, W, C)`` 8-bit levels."""
    return to_uint8(rows)[0].permute(1, 2, 0).numpy()


def _progress_bar(total: int):
    from tqdm import tqdm

    return tqdm(total=total, unit="row", desc="upscale (rows of tiles)")
