"""Draw docs/srgan.png: held-out photo crops, LR (nearest) | bicubic | srresnet | srgan | ground truth.

python docs/srgan_figure.py [--models srresnet srgan] [--out docs/srgan.png]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch
from PIL import Image, ImageDraw

import zoo
from zoo.data.photos import TEST_PHOTOS, photo_path, read_rgb
from zoo.images import save_image, to_pil
from zoo.metrics.superres import crop_to_multiple, downsample, upsample_bicubic

#: (photo, top, left) of each 128x128 HR crop shown
CROPS = ((TEST_PHOTOS[0], 120, 250), (TEST_PHOTOS[1], 150, 260), (TEST_PHOTOS[2], 140, 200))
SIZE = 128


def panels(models: list, ref: str, top: int, left: int) -> list[torch.Tensor]:
    """One row: the crop's LR (nearest), bicubic, each model's output, HR; every panel (3, SIZE, SIZE)."""
    hr = crop_to_multiple(read_rgb(photo_path(ref)).float()[None] / 255, 4)
    lr = downsample(hr, 4)
    window = (slice(None), slice(None), slice(top, top + SIZE), slice(left, left + SIZE))
    outs = [torch.nn.functional.interpolate(lr, scale_factor=4, mode="nearest"), upsample_bicubic(lr, 4)]
    outs += [m.upscale(lr) for m in models]
    return [o[window][0] for o in [*outs, hr]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--models", nargs="+", default=["srresnet", "srgan"])
    parser.add_argument("--out", default=str(Path(__file__).parent / "srgan.png"))
    args = parser.parse_args(argv)
    models = [zoo.load(name) for name in args.models]
    labels = ["LR (nearest)", "bicubic", *args.models, "ground truth"]
    pad, head = 4, 16
    rows = [panels(models, *crop) for crop in CROPS]
    canvas = Image.new(
        "RGB", (len(labels) * (SIZE + pad) + pad, head + len(rows) * (SIZE + pad) + pad), "white"
    )
    draw = ImageDraw.Draw(canvas)
    for j, label in enumerate(labels):
        draw.text((pad + j * (SIZE + pad) + 2, 2), label, fill="black")
    for i, row in enumerate(rows):
        for j, panel in enumerate(row):
            canvas.paste(to_pil(panel), (pad + j * (SIZE + pad), head + pad + i * (SIZE + pad)))
    save_image(canvas, args.out)
    print(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
