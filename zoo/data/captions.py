"""A folder of captioned images: ``name.jpg`` beside ``name.txt`` (one caption per line), as the CUB-birds
and COCO preprocessing of the AttnGAN code lays them out. Every caption is checked when the dataset is built.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import torch
from torch.utils.data import Dataset

from zoo.data.folder import ImageFolder
from zoo.errors import DataError


def read_captions(path: Path) -> list[str]:
    """The non-blank lines of a caption file, stripped; a clear error when there is none."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise DataError(f"caption file {path} is not UTF-8 text: {exc}") from exc
    captions = [line.strip() for line in lines if line.strip()]
    if not captions:
        raise DataError(f"caption file {path} is empty: write one caption per line")
    return captions


class CaptionedFolder(Dataset):
    """Images as ``{"x": (3, H, W) in [0, 1], "caption": str}``, one caption of the image's file drawn with
    torch's generator at every access; ``size`` resizes (needed when the images differ in size)."""

    def __init__(self, path: str | Path, size: int | None = None) -> None:
        self.images = ImageFolder(path, size=size, channels=3)
        texts = [f.with_suffix(".txt") for f in self.images.files]
        missing = [t for t in texts if not t.is_file()]
        if missing:
            shown = ", ".join(t.name for t in missing[:5]) + (" ..." if len(missing) > 5 else "")
            raise DataError(
                f"{len(missing)} of the {len(texts)} images in {path} have no caption file ({shown}): "
                "each image name.jpg needs name.txt beside it, one caption per line"
            )
        self._captions = [read_captions(t) for t in texts]

    def __len__(self) -> int:
        return len(self.images)

    def captions(self, i: int) -> list[str]:
        """Every caption of image ``i``."""
        return list(self._captions[i])

    def texts(self) -> Iterator[str]:
        """Every caption in the folder (what a vocabulary is built from)."""
        for captions in self._captions:
            yield from captions

    def __getitem__(self, i: int) -> dict[str, torch.Tensor | str]:
        captions = self._captions[i]
        pick = int(torch.randint(len(captions), ())) if len(captions) > 1 else 0
        return {"x": self.images[i]["x"], "caption": captions[pick]}
