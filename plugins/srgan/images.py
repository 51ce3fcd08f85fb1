"""Inputs of ``upscale``: PIL images of any mode, image paths, or tensors, split into colour and alpha.

Colour goes through the network as RGB (grayscale replicated, then brought back to one channel with the
BT.601 luma weights); alpha, when there is one, is upscaled on its own with bicubic interpolation.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

import torch
from PIL import Image

from zoo.images import ImageLike, open_image, to_pil, to_tensor

LUMA = (0.299, 0.587, 0.114)  # ITU-R BT.601, as PIL's convert("L")


@dataclass
class Split:
    """An input as ``rgb`` ``(N, 3, H, W)`` and optional ``alpha`` ``(N, 1, H, W)`` in [0, 1], and how to
    turn upscaled parts back into the input's kind (``back(rgb, alpha)``)."""

    rgb: torch.Tensor
    alpha: torch.Tensor | None
    back: Callable[[torch.Tensor, torch.Tensor | None], ImageLike]


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
    mode = ("L" if gray else "RGB") + ("A" if has_alpha else "")
    split = _split_tensor(to_tensor(im, mode))
    return Split(split.rgb, split.alpha, lambda out, alpha: to_pil(split.back(out, alpha)))


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
    batch = x[None] if x.dim() == 3 else x
    c = batch.shape[1]
    gray, has_alpha = c in (1, 2), c in (2, 4)
    color = batch[:, : 1 if gray else 3]
    rgb = color.expand(-1, 3, -1, -1) if gray else color
    alpha = batch[:, -1:] if has_alpha else None

    def back(out: torch.Tensor, out_alpha: torch.Tensor | None) -> torch.Tensor:
        parts = [_luma(out) if gray else out] + ([out_alpha] if out_alpha is not None else [])
        result = torch.cat(parts, 1).to(x.dtype)
        return result[0] if x.dim() == 3 else result

    return Split(rgb, alpha, back)


def _luma(rgb: torch.Tensor) -> torch.Tensor:
    weights = torch.tensor(LUMA, dtype=rgb.dtype, device=rgb.device).view(1, 3, 1, 1)
    return (rgb * weights).sum(1, keepdim=True).clamp(0, 1)
