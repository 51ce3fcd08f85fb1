"""Inputs of ``upscale``: PIL images of any mode, image paths, or tensors, split into colour and alpha.

Colour goes through the network as RGB (grayscale replicated, then brought back to one channel with the
BT.601 luma weights); alpha, when there is one, is upscaled on its own with bicubic interpolation.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
from PIL import Image

from zoo.images import ImageLike, open_image, to_pil

LUMA = (0.299, 0.587, 0.114)  # ITU-R BT.601, as PIL's convert("L")
_GRAY_MODES = {"1", "L"}


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
        image = open_image(Path(image))
    if isinstance(image, Image.Image):
        return _split_pil(image)
    if torch.is_tensor(image):
        return _split_tensor(image)
    raise TypeError(f"upscale takes a PIL image, an image path or a tensor, got {type(image).__name__}")


def _to_tensor(im: Image.Image) -> torch.Tensor:
    data = torch.frombuffer(bytearray(im.tobytes()), dtype=torch.uint8)
    channels = len(im.getbands())
    return data.view(im.height, im.width, channels).permute(2, 0, 1)[None].float() / 255


def _split_pil(im: Image.Image) -> Split:
    if im.width == 0 or im.height == 0:
        raise ValueError(f"the image is empty ({im.width}x{im.height} pixels)")
    if im.mode in ("I", "F") or im.mode.startswith("I;16"):  # converting to 8 bits would clip, not scale
        raise ValueError(
            f"{im.mode} images (16-bit or float pixels) are not supported: convert to 8-bit L or RGB, "
            "or pass a float tensor in [0, 1]"
        )
    has_alpha = im.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in im.info
    gray = im.mode in _GRAY_MODES or im.mode in ("LA", "La")
    color = im.convert("L" if gray else "RGB")
    alpha = _to_tensor(im.convert("RGBA").getchannel("A")) if has_alpha else None
    rgb = _to_tensor(color).expand(-1, 3, -1, -1) if gray else _to_tensor(color)

    def back(out: torch.Tensor, out_alpha: torch.Tensor | None) -> Image.Image:
        result = to_pil(_luma(out)[0] if gray else out[0])
        if out_alpha is not None:
            result.putalpha(to_pil(out_alpha[0]))
        return result

    return Split(rgb, alpha, back)


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
