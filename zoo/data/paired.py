"""Image pairs for translation, laid out as pytorch-CycleGAN-and-pix2pix lays them out.

Paired (pix2pix): ``A/`` and ``B/`` folders with matching file names, or single images holding A and B
side by side (A on the left), optionally under a ``train/`` or ``test/`` subfolder named by the split.
Unpaired (CycleGAN): ``trainA/`` and ``trainB/`` (``testA/``, ``testB/`` for the test split).
Items are ``{"A": (C, H, W), "B": (C, H, W)}`` floats in ``[0, 1]``.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch.utils.data import Dataset

from zoo.data.folder import ImageFolder
from zoo.errors import DataError


def _image_size(folder: ImageFolder) -> tuple[int, int]:
    return tuple(folder[0]["x"].shape[-2:])


class PairedImages(Dataset):
    """Aligned pairs from ``A/`` + ``B/`` folders or from side-by-side ``AB`` images."""

    def __init__(
        self, path: str | Path, split: str = "train", channels: int = 3, size: int | None = None
    ) -> None:
        root = Path(path)
        if (root / f"{split}A").is_dir() or (root / "trainA").is_dir():
            raise DataError(
                f"{root} holds unpaired folders (trainA/, trainB/): pix2pix needs aligned pairs (A/ and B/ "
                "folders with matching names, or A|B side-by-side images); train CycleGAN on unpaired data"
            )
        if (root / split).is_dir():
            root = root / split
        self.root = root
        if (root / "A").is_dir() or (root / "B").is_dir():
            self.a, self.b = (ImageFolder(root / side, size, channels) for side in "AB")
            names_a = [f.relative_to(root / "A") for f in self.a.files]
            names_b = [f.relative_to(root / "B") for f in self.b.files]
            if names_a != names_b:
                lonely = sorted(set(names_a) ^ set(names_b))
                raise DataError(
                    f"{root}/A and {root}/B must hold the same file names (pairs); unmatched: "
                    f"{', '.join(map(str, lonely[:5]))}{' ...' if len(lonely) > 5 else ''}"
                )
            if _image_size(self.a) != _image_size(self.b):
                raise DataError(
                    f"A and B images in {root} differ in size ({_image_size(self.a)} vs "
                    f"{_image_size(self.b)} as H x W): pairs must be aligned; resize them or pass a size"
                )
            self.ab = None
        else:
            if size is not None:
                raise DataError(
                    "size applies to A/ and B/ folders; resize side-by-side A|B images beforehand"
                )
            self.ab = ImageFolder(root, None, channels)
            width = _image_size(self.ab)[1]
            if width % 2:
                raise DataError(
                    f"side-by-side A|B images in {root} need an even width (A left, B right), got {width}"
                )

    def __len__(self) -> int:
        return len(self.ab if self.ab is not None else self.a)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        if self.ab is not None:
            ab = self.ab[i]["x"]
            half = ab.shape[-1] // 2
            return {"A": ab[..., :half], "B": ab[..., half:]}
        return {"A": self.a[i]["x"], "B": self.b[i]["x"]}


class UnpairedImages(Dataset):
    """Images of two domains, ``trainA/`` and ``trainB/``; each A comes with a random B, as the original.

    The length is that of the larger domain; the B partner is drawn with torch's (seeded) generator.
    """

    def __init__(
        self, path: str | Path, split: str = "train", channels: int = 3, size: int | None = None
    ) -> None:
        root = Path(path)
        folders = [root / f"{split}A", root / f"{split}B"]
        missing = [f.name for f in folders if not f.is_dir()]
        if missing:
            raise DataError(
                f"{root} has no {' or '.join(missing)} folder: unpaired data needs {split}A/ and {split}B/ "
                "(the layout of the original CycleGAN datasets)"
            )
        self.a, self.b = (ImageFolder(f, size, channels) for f in folders)
        if _image_size(self.a) != _image_size(self.b):
            raise DataError(
                f"{split}A and {split}B images in {root} differ in size ({_image_size(self.a)} vs "
                f"{_image_size(self.b)} as H x W): resize them to one size or pass a size"
            )

    def __len__(self) -> int:
        return max(len(self.a), len(self.b))

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        j = int(torch.randint(len(self.b), ()))
        return {"A": self.a[i % len(self.a)]["x"], "B": self.b[j]["x"]}
