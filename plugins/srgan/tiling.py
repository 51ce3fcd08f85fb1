"""Upscaling any image size with bounded memory: overlapping tiles, blended with complementary ramps.

Each tile of the low-resolution input is run on its own. Near an edge shared with a neighbour, ``pad``
pixels get weight 0 (they lack the context beyond the tile), then the weight ramps up over ``blend``
pixels where the neighbour's ramps down, so the weights add to 1. With ``pad`` at least the network's
receptive radius every kept pixel saw all of its context: the result equals the untiled output up to
floating-point rounding. Only one tile's activations and the output live in memory at once.
"""

from __future__ import annotations

from collections.abc import Callable

import torch


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


@torch.no_grad()
def upscale_tiled(
    net: Callable[[torch.Tensor], torch.Tensor],
    x: torch.Tensor,
    scale: int,
    tile: int,
    pad: int,
    blend: int = 4,
    on_tile: Callable[[int, int], None] | None = None,
) -> torch.Tensor:
    """``net`` applied to ``(N, C, H, W)`` ``x`` tile by tile; the ``(N, C, sH, sW)`` float32 result on
    ``x``'s device. ``on_tile(done, total)`` is called after each tile (progress bars)."""
    n, c, h, w = x.shape
    overlap = 2 * pad + blend
    if tile <= overlap and (h > tile or w > tile):
        raise ValueError(
            f"tile={tile} must exceed 2*pad+blend={overlap} (pad {pad}, blend {blend}): use larger tiles"
        )
    ys, xs = tile_starts(h, tile, overlap), tile_starts(w, tile, overlap)
    th, tw = min(tile, h), min(tile, w)
    wy = [ramp_weights(y, th, h, pad, blend, scale) for y in ys]
    wx = [ramp_weights(x0, tw, w, pad, blend, scale) for x0 in xs]
    total_y = torch.zeros(h * scale, dtype=torch.float64)
    total_x = torch.zeros(w * scale, dtype=torch.float64)
    for y, weight in zip(ys, wy, strict=True):
        total_y[y * scale : (y + th) * scale] += weight
    for x0, weight in zip(xs, wx, strict=True):
        total_x[x0 * scale : (x0 + tw) * scale] += weight
    out = None
    done, count = 0, len(ys) * len(xs)
    for y, weight_y in zip(ys, wy, strict=True):
        for x0, weight_x in zip(xs, wx, strict=True):
            piece = net(x[..., y : y + th, x0 : x0 + tw]).float().to(x.device)
            if out is None:
                out = torch.zeros(n, piece.shape[1], h * scale, w * scale, device=x.device)
            weight = (weight_y[:, None] * weight_x[None, :]).float().to(x.device)
            out[..., y * scale : (y + th) * scale, x0 * scale : (x0 + tw) * scale] += piece * weight
            done += 1
            if on_tile is not None:
                on_tile(done, count)
    norm = (total_y[:, None] * total_x[None, :]).float().to(x.device)
    return out.div_(norm)
