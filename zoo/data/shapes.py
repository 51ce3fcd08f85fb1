"""Captioned scenes of one to three coloured shapes, drawn with Pillow: a text-to-image dataset made here.

Each scene puts shapes (circle, square, triangle, ...) of a colour and a size into distinct cells of a 3x3
grid (the position words) on a dark background, and has ``captions_per_image`` captions from varied
templates. Some colour-shape pairs (``HELD_OUT``, e.g. "green triangle") never appear in ``train`` or
``test``; the ``unseen`` split holds scenes that each contain at least one of them. Scenes are a pure
function of ``(seed, split, index)``: no file is read or written.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass

import torch
from PIL import Image, ImageDraw
from torch.utils.data import Dataset

from zoo.errors import DataError
from zoo.images import to_tensor

SHAPES = ("circle", "square", "triangle", "star", "diamond")
COLOURS = {
    "red": (220, 45, 45),
    "green": (45, 185, 70),
    "blue": (55, 95, 235),
    "yellow": (240, 215, 40),
    "purple": (160, 70, 210),
    "white": (235, 235, 235),
}
SIZES = {"small": 0.09, "large": 0.15}  # radius as a fraction of the image side
#: the 3x3 grid cells, row by row, and how captions name them
POSITIONS = (
    "top left",
    "top",
    "top right",
    "left",
    "center",
    "right",
    "bottom left",
    "bottom",
    "bottom right",
)
#: colour-shape pairs never drawn in the train and test splits
HELD_OUT = (("green", "triangle"), ("blue", "star"), ("yellow", "circle"))
SPLITS = ("train", "test", "unseen")
BACKGROUND = (24, 24, 28)
_SPLIT_SALT = {"train": 0, "test": 1, "unseen": 2}
_SUPERSAMPLE = 4  # shapes are drawn this many times larger, then downsampled: smooth edges


@dataclass(frozen=True)
class Shape:
    """One object of a scene; ``position`` indexes ``POSITIONS``."""

    shape: str
    colour: str
    size: str
    position: int

    def labels(self) -> list[int]:
        """``[shape, colour, size, position]`` as indices into the attribute lists."""
        return [
            SHAPES.index(self.shape),
            list(COLOURS).index(self.colour),
            list(SIZES).index(self.size),
            self.position,
        ]


def _has_held_out(objects: list[Shape]) -> bool:
    return any((o.colour, o.shape) in HELD_OUT for o in objects)


def _draw_objects(rng: random.Random, count: int | None) -> list[Shape]:
    count = count or rng.choices((1, 2, 3), weights=(0.5, 0.3, 0.2))[0]
    cells = rng.sample(range(len(POSITIONS)), count)
    return [Shape(rng.choice(SHAPES), rng.choice(list(COLOURS)), rng.choice(list(SIZES)), c) for c in cells]


def _location(position: int, rng: random.Random) -> str:
    name = POSITIONS[position]
    if name == "center":
        return rng.choice(("in the center", "in the middle", "at the center"))
    preposition = "on the" if name in ("left", "right") else rng.choice(("at the", "in the"))
    return f"{preposition} {name}"


def _phrase(o: Shape, rng: random.Random) -> str:
    """One object as a noun phrase with its place, in one of several word orders."""
    where = _location(o.position, rng)
    form = rng.randrange(4)
    if form == 0:
        return f"a {o.size} {o.colour} {o.shape} {where}"
    if form == 1:
        return f"a {o.colour} {o.shape} {where}"
    if form == 2:
        return f"a {o.shape} that is {o.size} and {o.colour} {where}"
    return f"{where} a {o.size} {o.colour} {o.shape}"


def _caption(objects: list[Shape], rng: random.Random) -> str:
    phrases = [_phrase(o, rng) for o in rng.sample(objects, len(objects))]
    body = phrases[0] if len(phrases) == 1 else ", ".join(phrases[:-1]) + " and " + phrases[-1]
    opening = rng.choice(("", "", "there is ", "the picture shows ", "an image of "))
    if not body.startswith("a "):  # "at the top a red star": an opening would not read
        opening = ""
    elif opening == "there is " and len(objects) > 1:
        opening = "there are "
    return opening + body


def draw_scene(objects: list[Shape], size: int, rng: random.Random) -> Image.Image:
    """The scene as an RGB image of ``size`` pixels, shapes jittered a little inside their cells."""
    big = size * _SUPERSAMPLE
    image = Image.new("RGB", (big, big), BACKGROUND)
    draw = ImageDraw.Draw(image)
    cell = big / 3
    for o in objects:
        row, col = divmod(o.position, 3)
        radius = SIZES[o.size] * big
        slack = cell / 2 - radius
        cx = (col + 0.5) * cell + rng.uniform(-slack, slack) * 0.6
        cy = (row + 0.5) * cell + rng.uniform(-slack, slack) * 0.6
        _draw_shape(draw, o.shape, cx, cy, radius, COLOURS[o.colour])
    return image.resize((size, size), Image.Resampling.LANCZOS)


def _draw_shape(draw: ImageDraw.ImageDraw, shape: str, cx: float, cy: float, r: float, fill) -> None:
    if shape == "circle":
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=fill)
    elif shape == "square":
        s = r * 0.85
        draw.rectangle((cx - s, cy - s, cx + s, cy + s), fill=fill)
    elif shape == "diamond":
        draw.polygon([(cx, cy - r), (cx + r, cy), (cx, cy + r), (cx - r, cy)], fill=fill)
    elif shape == "triangle":
        draw.regular_polygon((cx, cy + r * 0.15, r * 1.05), 3, fill=fill)
    elif shape == "star":
        points = [
            (
                cx + (r if k % 2 == 0 else r * 0.42) * math.sin(k * math.pi / 5),
                cy - (r if k % 2 == 0 else r * 0.42) * math.cos(k * math.pi / 5),
            )
            for k in range(10)
        ]
        draw.polygon(points, fill=fill)
    else:  # SHAPES and this function are kept in step
        raise AssertionError(shape)


class CaptionedShapes(Dataset):
    """Scenes as ``{"x": (3, size, size) in [0, 1], "caption": str, "objects": (3, 4) long}``.

    ``caption`` is one of the scene's captions, drawn with torch's generator at every access (as the
    AttnGAN code picks one of ten per image); ``objects`` holds each shape's ``[shape, colour, size,
    position]`` indices, rows of -1 where a scene has fewer than three shapes. ``captions(i)`` gives all.
    ``count`` fixes the number of shapes per scene (the attribute metrics use single-shape scenes).
    """

    def __init__(
        self,
        split: str = "train",
        size: int = 64,
        length: int | None = None,
        captions_per_image: int = 5,
        seed: int = 0,
        count: int | None = None,
    ) -> None:
        if split not in SPLITS:
            raise DataError(f"shapes split must be one of {SPLITS}, not {split!r}")
        if not isinstance(size, int) or size < 16:
            raise DataError(f"shapes size must be an integer of at least 16 pixels, not {size!r}")
        if captions_per_image < 1:
            raise DataError(f"captions_per_image must be at least 1, not {captions_per_image}")
        self.split, self.size, self.seed = split, size, seed
        self.length = length if length is not None else (10_000 if split == "train" else 1_000)
        if self.length < 1:
            raise DataError(f"shapes length must be at least 1, not {self.length}")
        if count not in (None, 1, 2, 3):
            raise DataError(
                f"shapes count must be 1, 2 or 3 shapes per scene (or null: mixed), not {count!r}"
            )
        self.captions_per_image, self.count = captions_per_image, count

    def __len__(self) -> int:
        return self.length

    def _rng(self, i: int, purpose: int) -> random.Random:
        if not 0 <= i < self.length:
            raise IndexError(f"scene {i} out of range (0..{self.length - 1})")
        return random.Random(((self.seed * 7 + _SPLIT_SALT[self.split]) * 1_000_003 + i) * 4 + purpose)

    def objects(self, i: int) -> list[Shape]:
        """The shapes of scene ``i``; train/test scenes avoid ``HELD_OUT``, unseen ones contain one."""
        rng = self._rng(i, 0)
        while True:
            objects = _draw_objects(rng, self.count)
            if _has_held_out(objects) == (self.split == "unseen"):
                return objects

    def captions(self, i: int) -> list[str]:
        """Every caption of scene ``i`` (``captions_per_image`` of them, from different templates)."""
        return self._captions(i, self.objects(i))

    def _captions(self, i: int, objects: list[Shape]) -> list[str]:
        rng = self._rng(i, 1)
        return [_caption(objects, rng) for _ in range(self.captions_per_image)]

    def texts(self) -> Iterator[str]:
        """Every caption of the split (what a vocabulary is built from); no image is drawn."""
        for i in range(self.length):
            yield from self.captions(i)

    def image(self, i: int) -> Image.Image:
        """Scene ``i`` drawn at ``size`` pixels."""
        return draw_scene(self.objects(i), self.size, self._rng(i, 2))

    def __getitem__(self, i: int) -> dict[str, torch.Tensor | str]:
        objects = self.objects(i)
        captions = self._captions(i, objects)
        pick = int(torch.randint(len(captions), ())) if len(captions) > 1 else 0
        labels = [o.labels() for o in objects]
        labels += [[-1] * 4] * (3 - len(labels))
        return {
            "x": to_tensor(self.image(i)),
            "caption": captions[pick],
            "objects": torch.tensor(labels, dtype=torch.long),
        }
