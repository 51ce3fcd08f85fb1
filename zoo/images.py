"""Image inputs and outputs of task methods (``translate``, ``upscale``, ...): one conversion for every model.

A task method accepts a PIL image, a path to an image file, or a float tensor in ``[0, 1]`` (``(C, H, W)``
or ``(N, C, H, W)``), and returns the same kind: a tensor of the same rank, or a PIL image for a PIL
image or a path (the file is only read, never written).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from PIL import Image, UnidentifiedImageError

ImageLike = Any  # PIL.Image.Image | str | os.PathLike | torch.Tensor


def to_batch(image: ImageLike, channels: int) -> tuple[torch.Tensor, Callable[[torch.Tensor], ImageLike]]:
    """``image`` as an ``(N, channels, H, W)`` float batch in [0, 1], and a function that turns a batch
    of results back into the kind of ``image``."""
    if isinstance(image, (str, os.PathLike)):
        image = open_image(Path(image))
    if isinstance(image, Image.Image):
        mode = {1: "L", 3: "RGB"}.get(channels)
        if mode is None:
            raise ValueError(f"a PIL image can feed a model with 1 or 3 input channels, not {channels}")
        data = torch.frombuffer(bytearray(image.convert(mode).tobytes()), dtype=torch.uint8)
        batch = data.view(image.height, image.width, channels).permute(2, 0, 1)[None].float() / 255
        return batch, lambda out: to_pil(out[0])
    if torch.is_tensor(image):
        if image.dim() not in (3, 4) or image.shape[-3] != channels:
            raise ValueError(
                f"expected a (C, H, W) or (N, C, H, W) tensor with C={channels}, got {tuple(image.shape)}"
            )
        if not image.is_floating_point():
            raise ValueError(f"expected a float tensor in [0, 1], got dtype {image.dtype}")
        if image.dim() == 3:
            return image[None], lambda out: out[0]
        return image, lambda out: out
    raise TypeError(f"expected a PIL image, an image path or a tensor, got {type(image).__name__}")


def to_pil(image: torch.Tensor) -> Image.Image:
    """A ``(C, H, W)`` tensor in [0, 1] with 1 or 3 channels as a PIL image (``L`` or ``RGB``)."""
    pixels = (image.detach().float().clamp(0, 1) * 255).round().to(torch.uint8).cpu()
    if pixels.shape[0] == 1:
        return Image.fromarray(pixels[0].numpy())  # 2-D uint8: mode L
    if pixels.shape[0] == 3:
        return Image.fromarray(pixels.permute(1, 2, 0).numpy())  # H x W x 3 uint8: RGB
    raise ValueError(f"cannot show an image with {pixels.shape[0]} channels as a PIL image (1 or 3)")


def open_image(path: Path) -> Image.Image:
    """A fully read image file, or a clear error (missing, empty, not an image)."""
    if not path.is_file():
        raise FileNotFoundError(f"image file {path} does not exist")
    if path.stat().st_size == 0:
        raise ValueError(f"{path} is an empty file (0 bytes), not an image")
    try:
        with Image.open(path) as im:
            im.load()
            return im
    except (UnidentifiedImageError, OSError) as exc:
        raise ValueError(f"{path} is not a readable image: {exc}") from exc
