"""Upscaling any image size with bounded memory: overlapping tiles, blended with complementary ramps.

Each tile of the low-resolution input is run on its own. Near an edge shared with a neighbour, ``pad``
pixels get weight 0 (they lack the context beyond the tile), then the weight ramps up over ``blend``
pixels where the neighbour's ramps down, so the weights add to 1. With ``pad`` at least the network's
receptive radius every kept pixel saw all of its context: the result equals the untiled output up to
floating-point rounding.

The output comes out as bands of finished rows, one per row of tiles: only that row of tiles' output
(``tile * scale`` rows of the full output width) is held, whatever the image's height, so a caller can
write each band to a file and drop it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import torch

#: output rows normalised at a time (bounds the float64 weight products of a band)
_NORM_ROWS = 64


def tile_starts(size: int, tile: int, overlap: int) -> list[int]:
    """Offsets of tiles of ``tile`` pixels covering ``size`` with at least ``overlap`` shared pixels; the last
    tile ends at the border (no sliver tiles)."""
    if size <= tile:
        return [0]
    step = tile - overlap
    return [*range(0, size - tile, step), size - tile]


def ramp_weights(start: int, length: int, size: int, pad: int, blend: int, scale: int) -> torch.Tensor:
    """Output-pixel weights along one axis of the tile ``[start, start + length)`` of an axis of ``size``."""
    weight = torch.ones(length * scale, dtype=torch.float64)
    ramp = (torch.arange(blend * scale, dtype=torch.float64) + 0.5) / (blend * scale)
    edge = (pad + blend) * scale
    if start > 0:  # an inner edge on the left/top
        weight[: pad * scale] = 0
        weight[pad * scale : edge] = ramp
    if start + length < size:  # an inner edge on the right/bottom
        weight[length * scale - pad * scale :] = 0
        weight[length * scale - edge : length * scale - pad * scale] = ramp.flip(0)
    return weight


@dataclass
class Axis:
    """The tiles along one axis: their ``starts``, common ``length`` (LR pixels) and output-pixel
    ``weights``, and ``total``, the sum of the weights at each output pixel."""

    starts: list[int]
    length: int
    weights: list[torch.Tensor]
    total: torch.Tensor

    @classmethod
    def of(cls, size: int, tile: int, pad: int, blend: int, scale: int) -> Axis:
        starts = tile_starts(size, tile, 2 * pad + blend)
        length = min(tile, size)
        weights = [ramp_weights(start, length, size, pad, blend, scale) for start in starts]
        total = torch.zeros(size * scale, dtype=torch.float64)
        for start, weight in zip(starts, weights, strict=True):
            total[start * scale : (start + length) * scale] += weight
        return cls(starts, length, weights, total)


def tile_grid(height: int, width: int, scale: int, tile: int, pad: int, blend: int = 4) -> tuple[Axis, Axis]:
    """The rows and columns of tiles of an ``height`` x ``width`` input; a clear error for too small tiles."""
    overlap = 2 * pad + blend
    if tile <= overlap and (height > tile or width > tile):
        raise ValueError(
            f"tile={tile} must exceed 2*pad+blend={overlap} (pad {pad}, blend {blend}): use larger tiles"
        )
    return Axis.of(height, tile, pad, blend, scale), Axis.of(width, tile, pad, blend, scale)


@torch.no_grad()
def tiled_bands(
    net: Callable[[torch.Tensor], torch.Tensor],
    x: torch.Tensor,
    scale: int,
    tile: int,
    pad: int,
    blend: int = 4,
) -> Iterator[tuple[int, torch.Tensor]]:
    """``net`` applied to ``(N, C, H, W)`` ``x`` (any dtype: ``net`` converts each tile) tile by tile, as
    ``(first output row, band)`` for each row of tiles, top to bottom: ``band`` is ``(N, C', rows, sW)``
    float32 on ``x``'s device, the output rows that no later tile touches, valid until the next band."""
    n, _, h, w = x.shape
    rows, cols = tile_grid(h, w, scale, tile, pad, blend)
    th, tw = rows.length, cols.length
    band = None  # one row of tiles' weighted sums; its first rows are shared with the row before
    for i, (y, weight_y) in enumerate(zip(rows.starts, rows.weights, strict=True)):
        for x0, weight_x in zip(cols.starts, cols.weights, strict=True):
            piece = net(x[..., y : y + th, x0 : x0 + tw]).float().to(x.device)
            if band is None:
                band = torch.zeros(n, piece.shape[1], th * scale, w * scale, device=x.device)
            weight = (weight_y[:, None] * weight_x[None, :]).float().to(x.device)
            band[..., :, x0 * scale : (x0 + tw) * scale] += piece * weight
        end = rows.starts[i + 1] if i + 1 < len(rows.starts) else y + th
        done = (end - y) * scale
        for r in range(0, done, _NORM_ROWS):
            stop = min(r + _NORM_ROWS, done)
            total_y = rows.total[y * scale + r : y * scale + stop]
            band[..., r:stop, :].div_((total_y[:, None] * cols.total[None, :]).float().to(x.device))
        yield y * scale, band[..., :done, :]
        kept = th * scale - done
        for r in range(0, kept, done):  # move the shared rows up, in chunks that do not overlap
            band[..., r : min(r + done, kept), :] = band[..., done + r : done + min(r + done, kept), :]
        band[..., kept:, :] = 0
