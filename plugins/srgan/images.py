"""Inputs of ``upscale``: PIL images of any mode, image paths, or tensors, split into colour and alpha.

Colour goes through the network as RGB (grayscale replicated, then brought back to one channel with the
BT.601 luma weights); alpha, when there is one, is upscaled on its own with bicubic interpolation. Images
stay 8-bit: each tile becomes floats only when the network takes it, so a large input is held once, as bytes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image

from zoo.images import ImageLike, converted, open_image
from zoo.metrics.superres import upsample_bicubic

LUMA = (0.299, 0.587, 0.114)  # ITU-R BT.601, as PIL's convert("L")
_BICUBIC_REACH = 3  # input rows beyond a band that bicubic upsampling reads (its kernel reaches 2)


@dataclass
class Split:
    """An input as ``rgb`` ``(N, 3, H, W)`` and optional ``alpha`` ``(N, 1, H, W)``: uint8 for images, floats
    in [0, 1] for tensors (``source``, whose shape and dtype the result takes; None for images)."""

    rgb: torch.Tensor
    alpha: torch.Tensor | None
    gray: bool
    source: torch.Tensor | None

    @property
    def mode(self) -> str:
        """The output's PIL mode: ``L``, ``LA``, ``RGB`` or ``RGBA``."""
        return ("L" if self.gray else "RGB") + ("A" if self.alpha is not None else "")

    def finish(self, rgb: torch.Tensor, first: int, scale: int) -> torch.Tensor:
        """Output rows ``first``... of the upscaled image, float32 in [0, 1] with the input's channels, from
        the same rows of upscaled ``rgb`` ``(N, 3, rows, sW)``: luma for grayscale, alpha added."""
        parts = [_luma(rgb) if self.gray else rgb]
        if self.alpha is not None:
            parts.append(self._alpha_rows(first, rgb.shape[-2], scale).to(rgb.device))
        return torch.cat(parts, 1) if len(parts) > 1 else parts[0]

    def _alpha_rows(self, first: int, count: int, scale: int) -> torch.Tensor:
        """Rows ``first``... of the bicubic upsampling of alpha, from the input rows they depend on only."""
        lo = max(first // scale - _BICUBIC_REACH, 0)
        hi = min(-(-(first + count) // scale) + _BICUBIC_REACH, self.alpha.shape[-2])
        up = upsample_bicubic(floats(self.alpha[..., lo:hi, :]), scale)
        return up[..., first - lo * scale : first - lo * scale + count, :]


def floats(part: torch.Tensor) -> torch.Tensor:
    """A piece of a Split's ``rgb`` or ``alpha`` as float32 in [0, 1]."""
    return part.float().div_(255) if part.dtype == torch.uint8 else part.float()


def split_input(image: ImageLike) -> Split:
    """``image`` (PIL image, path, ``(C, H, W)`` or ``(N, C, H, W)`` tensor, C in 1..4) as a Split."""
    if isinstance(image, (str, os.PathLike)):
        image = open_image(image)
    if isinstance(image, Image.Image):
        return _split_pil(image)
    if torch.is_tensor(image):
        return _split_tensor(image)
    raise TypeError(f"upscale takes a PIL image, an image path or a tensor, got {type(image).__name__}")


def _split_pil(im: Image.Image) -> Split:
    if im.mode in ("I", "F") or im.mode.startswith("I;16"):  # the 8-bit result would lose their depth
        raise ValueError(
            f"{im.mode} images (16-bit or float pixels) are not supported: convert to 8-bit L or RGB, "
            "or pass a float tensor in [0, 1] (zoo.images.read_image(path, 'L') reads 16-bit files as one)"
        )
    has_alpha = im.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in im.info
    gray = im.mode in ("1", "L", "LA", "La")
    pixels = torch.from_numpy(np.array(converted(im, ("L" if gray else "RGB") + ("A" if has_alpha else ""))))
    pixels = (pixels[..., None] if pixels.dim() == 2 else pixels).permute(2, 0, 1)[None]  # a view
    return _parts(pixels, gray, has_alpha, None)


def _split_tensor(x: torch.Tensor) -> Split:
    if x.dim() not in (3, 4) or x.shape[-3] not in (1, 2, 3, 4):
        raise ValueError(
            f"expected a (C, H, W) or (N, C, H, W) tensor with C = 1 (gray), 2 (gray + alpha), 3 (RGB) or 4 "
            f"(RGBA), got shape {tuple(x.shape)}"
        )
    if not x.is_floating_point():
        raise ValueError(
            f"expected a float tensor in [0, 1], got dtype {x.dtype} (divide 8-bit images by 255)"
        )
    if x.numel() == 0:
        raise ValueError(f"the tensor is empty (shape {tuple(x.shape)})")
    lo, hi = x.min().item(), x.max().item()
    if not (lo >= 0 and hi <= 1):  # also catches NaN
        raise ValueError(
            f"expected values in [0, 1], got the range [{lo:.4g}, {hi:.4g}]: rescale the tensor "
            "(e.g. (x + 1) / 2 for [-1, 1], x / 255 for 8-bit values)"
        )
    c = x.shape[-3]
    return _parts(x[None] if x.dim() == 3 else x, c in (1, 2), c in (2, 4), x)


def _parts(batch: torch.Tensor, gray: bool, has_alpha: bool, source: torch.Tensor | None) -> Split:
    color = batch[:, : 1 if gray else 3]
    rgb = color.expand(-1, 3, -1, -1) if gray else color
    return Split(rgb, batch[:, -1:] if has_alpha else None, gray, source)


def _luma(rgb: torch.Tensor) -> torch.Tensor:
    weights = torch.tensor(LUMA, dtype=rgb.dtype, device=rgb.device).view(1, 3, 1, 1)
    return (rgb * weights).sum(1, keepdim=True).clamp(0, 1)
