"""Digits rendered from the TrueType fonts that matplotlib ships, and ``mnist2font`` (MNIST <-> font digits).

Each digit is drawn in each of ``FONTS`` with Pillow, cropped to its ink, scaled to fit a 20x20 box and
centred in 28x28 as MNIST digits are (zero-padded to 32 by default), then given a small random affine
jitter (rotation ±10°, scale ±10%, shift ±2 px). The train, val and test splits draw their jitter
from different seeds; each is balanced over digits and fonts.
"""

from __future__ import annotations

import functools
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.utils.data import Dataset

from zoo.data.augment import jitter
from zoo.data.mnist import MNIST
from zoo.errors import DataError
from zoo.images import to_tensor

#: upright text fonts with usable digits (the symbol fonts cmex10, cmsy10 and STIXSiz* have none)
FONTS = (
    "DejaVuSans.ttf",
    "DejaVuSans-Bold.ttf",
    "DejaVuSerif.ttf",
    "DejaVuSerif-Bold.ttf",
    "DejaVuSansMono.ttf",
    "DejaVuSansMono-Bold.ttf",
    "STIXGeneral.ttf",
    "STIXGeneralBol.ttf",
    "cmr10.ttf",
    "cmb10.ttf",
    "cmss10.ttf",
    "cmtt10.ttf",
)
SIZES = {"train": 4000, "val": 500, "test": 1000}  # as zoo's MNIST split (val as MNIST's holdout 50)
SEEDS = {"train": 0, "val": 2, "test": 1}


def font_folder() -> Path:
    """matplotlib's folder of TrueType fonts (found without importing matplotlib)."""
    import importlib.util

    spec = importlib.util.find_spec("matplotlib")
    if spec is None or not spec.submodule_search_locations:
        raise DataError("the font digits are rendered from matplotlib's fonts: `pip install matplotlib`")
    return Path(spec.submodule_search_locations[0]) / "mpl-data" / "fonts" / "ttf"


@functools.cache
def templates() -> torch.Tensor:
    """``(len(FONTS), 10, 28, 28)`` digits in [0, 1], white on black, fitted to 20x20 and centred."""
    from PIL import Image, ImageDraw, ImageFont

    out = torch.zeros(len(FONTS), 10, 28, 28)
    for f, name in enumerate(FONTS):
        font = ImageFont.truetype(str(font_folder() / name), 64)
        for digit in range(10):
            canvas = Image.new("L", (128, 128))
            ImageDraw.Draw(canvas).text((32, 16), str(digit), fill=255, font=font)
            glyph = canvas.crop(canvas.getbbox())
            scale = 20 / max(glyph.size)
            w, h = max(1, round(glyph.width * scale)), max(1, round(glyph.height * scale))
            glyph = glyph.resize((w, h), Image.Resampling.LANCZOS)
            box = Image.new("L", (28, 28))
            box.paste(glyph, ((28 - w) // 2, (28 - h) // 2))
            out[f, digit] = to_tensor(box, "L")[0]
    return out


class FontDigits(Dataset):
    """Font-rendered digits as ``{"x": (1, size, size) in [0, 1], "y": label}``: 4,000 train, 500 val, 1,000
    test."""

    def __init__(self, split: str = "train", size: int = 32) -> None:
        if split not in SIZES:
            raise DataError(f"font digits split must be one of {tuple(SIZES)}, not {split!r}")
        if size not in (28, 32):
            raise DataError(f"font digits size must be 28 or 32 (as MNIST), not {size}")
        n, glyphs = SIZES[split], templates()
        index = torch.arange(n)
        self.labels = index % 10
        fonts = (index // 10) % len(FONTS)  # every font draws every digit equally often
        gen = torch.Generator().manual_seed(SEEDS[split])
        pad = (size - 28) // 2
        base = F.pad(glyphs[fonts, self.labels].unsqueeze(1), (pad, pad, pad, pad))
        self.images = jitter(base, gen).clamp(0, 1)
        self.fonts = fonts

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return {"x": self.images[i], "y": self.labels[i]}


class MnistToFont(Dataset):
    """Unpaired ``{"A": MNIST digit, "B": font digit, "y_a", "y_b"}``: each A with a random B (as CycleGAN's
    unaligned data); the labels are for evaluation only, never for training. ``jitter: true`` gives both
    images a fresh random affine jitter at every draw (augmentation: 4,000 digits a side are few).
    ``holdout: N`` keeps N MNIST train digits per class out of ``train`` for the ``val`` split."""

    def __init__(self, split: str = "train", size: int = 32, jitter: bool = False, holdout: int = 0) -> None:
        self.a, self.b = MNIST(split, size, holdout), FontDigits(split, size)
        self.jitter = jitter

    def __len__(self) -> int:
        return len(self.a)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        j = int(torch.randint(len(self.b), ()))
        a, b = self.a.images[i], self.b.images[j]
        if self.jitter:
            a, b = (jitter(x[None])[0].clamp(0, 1) for x in (a, b))
        return {"A": a, "B": b, "y_a": self.a.labels[i], "y_b": self.b.labels[j]}
