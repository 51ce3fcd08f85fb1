"""Draw the docs pictures of the bundled translation models, from held-out test-split digits.

    python docs/translation_figure.py   # docs/pix2pix-edges2digits.png and docs/cyclegan-mnist2font.png

pix2pix-edges2digits: rows of edge map | translation | real digit, one per digit class.
cyclegan-mnist2font: columns per digit class; rows MNIST digit | A->B (font style) | font digit | B->A.
"""

from __future__ import annotations

from pathlib import Path

import torch

import zoo
from zoo.data import build_dataset
from zoo.images import save_grid

DOCS = Path(__file__).parent


def first_of_each_digit(labels: torch.Tensor) -> list[int]:
    """The index of the first item of each class 0..9."""
    return [int((labels == digit).nonzero()[0]) for digit in range(10)]


def upscaled(images: torch.Tensor, factor: int = 3) -> torch.Tensor:
    """Nearest-neighbour enlargement, so 32x32 digits are visible in the docs."""
    return images.repeat_interleave(factor, -1).repeat_interleave(factor, -2)


def save(images: torch.Tensor, path: Path, nrow: int) -> None:
    save_grid(upscaled(images), path, nrow=nrow, padding=4, pad_value=0.5)
    print(f"wrote {path}")


@torch.no_grad()
def main(out_dir: Path = DOCS) -> None:
    pairs = build_dataset("edges2digits", "test")
    chosen = first_of_each_digit(pairs.labels)
    edges, digits = pairs.edges[chosen], pairs.digits[chosen]
    out = zoo.load("pix2pix-edges2digits").translate(edges)
    panels = torch.stack([edges, out, digits], 1).flatten(0, 1)
    save(panels, out_dir / "pix2pix-edges2digits.png", nrow=3)

    data = build_dataset("mnist2font", "test")
    a, b = (
        data.a.images[first_of_each_digit(data.a.labels)],
        data.b.images[first_of_each_digit(data.b.labels)],
    )
    model = zoo.load("cyclegan-mnist2font")
    rows = torch.cat([a, model.translate(a, direction="AtoB"), b, model.translate(b, direction="BtoA")])
    save(rows, out_dir / "cyclegan-mnist2font.png", nrow=10)


if __name__ == "__main__":
    main()
