"""A folder of images (searched recursively), all of one size unless ``size`` resizes them."""

from __future__ import annotations

from pathlib import Path

import torch
from torch.utils.data import Dataset

from zoo.errors import DataError
from zoo.images import image_size, open_image, read_image

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff")


def image_files(root: Path) -> list[Path]:
    """Every image file below ``root``, sorted; a clear error when there is none."""
    if not root.is_dir():
        raise DataError(f"data folder {root} does not exist or is not a folder")
    files = sorted(p for p in root.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    if not files:
        raise DataError(
            f"data folder {root} holds no images ({', '.join(IMAGE_SUFFIXES)}); "
            "point --data at a folder of images"
        )
    return files


def folder_channels(root: Path) -> int:
    """1 when the first image of every folder below ``root`` (pairs' ``A/`` and ``B/``, ...) is greyscale,
    else 3: how many channels to read a folder of your own with, so that no colour is lost."""
    firsts: dict[Path, Path] = {}
    for file in image_files(root):
        firsts.setdefault(file.parent, file)
    return 1 if all(_grey(file) for file in firsts.values()) else 3


def _grey(file: Path) -> bool:
    with open_image(file) as image:
        return image.mode in ("1", "F") or image.mode.startswith(("L", "I"))


class ImageFolder(Dataset):
    """Images as ``{"x": (C, H, W) in [0, 1]}``; ``channels`` 1 (grayscale) or 3 (RGB), read by
    ``zoo.images.read_image`` (16-bit scaled, transparency on white, animations refused).

    Every file's header is read up front (cheap: no pixels), so a file that is not an image fails here,
    naming it, and not in the middle of training; a file cut short after its header still fails on
    read with a ``DataError`` naming it. Mixed sizes are an error unless ``size`` is given, in which
    case every image is resized to ``size`` x ``size``.
    """

    def __init__(self, path: str | Path, size: int | None = None, channels: int = 3) -> None:
        if channels not in (1, 3):
            raise DataError(f"channels must be 1 or 3, not {channels}")
        self.files = image_files(Path(path))
        self.size = size
        self.mode = "L" if channels == 1 else "RGB"
        sizes: dict[tuple[int, int], Path] = {}
        for f in self.files:
            sizes.setdefault(image_size(f), f)
        if size is None and len(sizes) > 1:
            examples = ", ".join(f"{w}x{h} ({p.name})" for (w, h), p in list(sizes.items())[:3])
            raise DataError(
                f"images in {path} have different sizes: {examples}. Resize them to one size, "
                'or pass a size (e.g. --data "{name: folder, path: DIR, size: 64}")'
            )

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        size = None if self.size is None else (self.size, self.size)
        return {"x": read_image(self.files[i], self.mode, size)}
