"""Photos that PyPI packages ship (scikit-image, scikit-learn, matplotlib), and random high-resolution crops
of them or of a folder of images for super-resolution training (``sr_crops``).

Nothing is downloaded: the files are read from the installed packages (scikit-image is the optional extra
``gan-zoo[sr-data]``). The ``test`` split holds photos that are never trained on.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import torch
from torch.utils.data import Dataset

from zoo.data.folder import image_files
from zoo.errors import DataError
from zoo.images import read_image, to_uint8

#: where each package keeps its sample images, relative to the package folder
_FOLDERS = {"skimage": "data", "sklearn": "datasets/images", "matplotlib": "mpl-data/sample_data"}
#: natural photos (and a few scans) for training; synthetic drawings, near-duplicates and tiny files left out
TRAIN_PHOTOS = (
    "skimage:astronaut.png",
    "skimage:brick.png",
    "skimage:camera.png",
    "skimage:cell.png",
    "skimage:chelsea.png",
    "skimage:coins.png",
    "skimage:grass.png",
    "skimage:gravel.png",
    "skimage:hubble_deep_field.jpg",
    "skimage:ihc.png",
    "skimage:moon.png",
    "skimage:motorcycle_left.png",
    "skimage:page.png",
    "skimage:retina.jpg",
    "skimage:rocket.jpg",
    "skimage:text.png",
    "sklearn:china.jpg",
)
#: held out: never trained on, the images the SR metrics are reported on
TEST_PHOTOS = ("skimage:coffee.png", "sklearn:flower.jpg", "matplotlib:grace_hopper.jpg")


def photo_path(ref: str) -> Path:
    """The file of ``"package:name"`` (e.g. ``"sklearn:flower.jpg"``) in the installed package."""
    package, _, name = ref.partition(":")
    if package not in _FOLDERS:
        raise DataError(f"unknown photo source {package!r} in {ref!r}; use one of {', '.join(_FOLDERS)}")
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        extra = " (pip install 'gan-zoo[sr-data]')" if package == "skimage" else ""
        raise DataError(f"the photo {ref} needs the package {package!r}, which is not installed{extra}")
    path = Path(spec.origin).parent / _FOLDERS[package] / name
    if not path.is_file():
        raise DataError(f"{path} is missing from the installed {package}: reinstall it")
    return path


def photo_files(split: str) -> list[Path]:
    """The photos of ``split``: ``train`` or ``test`` (the held-out ones)."""
    if split not in ("train", "test"):
        raise DataError(f"split must be 'train' or 'test', not {split!r}")
    return [photo_path(ref) for ref in (TRAIN_PHOTOS if split == "train" else TEST_PHOTOS)]


def read_rgb(path: Path) -> torch.Tensor:
    """An image file as a ``(3, H, W)`` uint8 tensor (kept in memory as 8 bits; read by ``read_image``)."""
    return to_uint8(read_image(path, "RGB"))


class SRCrops(Dataset):
    """Random ``crop`` x ``crop`` high-resolution patches ``{"hr": (3, crop, crop) in [0, 1]}``, flipped and
    rotated at random (the models make the low-resolution input by bicubic downsampling, on the fly).

    ``path`` is a folder of images (every image is used, whatever ``split``), or None for the packaged
    photos of ``split``. One pass draws ``repeats`` crops per image; images are kept in memory as uint8.
    """

    def __init__(
        self, path: str | Path | None = None, crop: int = 96, repeats: int = 64, split: str = "train"
    ) -> None:
        if crop < 8:
            raise DataError(f"crop must be at least 8 pixels, got {crop}")
        if repeats < 1:
            raise DataError(f"repeats must be at least 1, got {repeats}")
        files = photo_files(split) if path is None else image_files(Path(path))
        self.images = [read_rgb(f) for f in files]
        small = [
            f"{f.name} ({im.shape[2]}x{im.shape[1]})"
            for f, im in zip(files, self.images, strict=True)
            if min(im.shape[1:]) < crop
        ]
        if small:
            raise DataError(
                f"images smaller than the crop size {crop}: {', '.join(small[:5])}; remove them or set a "
                'smaller crop (e.g. --data "{name: sr_crops, path: DIR, crop: 64}")'
            )
        self.crop = crop
        self.repeats = repeats

    def __len__(self) -> int:
        return len(self.images) * self.repeats

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        image = self.images[i % len(self.images)]
        h, w = image.shape[1:]
        top = int(torch.randint(h - self.crop + 1, ()))
        left = int(torch.randint(w - self.crop + 1, ()))
        patch = image[:, top : top + self.crop, left : left + self.crop]
        flip, turns = torch.randint(2, ()), int(torch.randint(4, ()))
        if flip:
            patch = patch.flip(-1)
        patch = torch.rot90(patch, turns, (1, 2))
        return {"hr": patch.float().div_(255)}
