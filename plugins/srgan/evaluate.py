"""``python -m zoo_plugins.srgan.evaluate MODEL``: PSNR/SSIM (Y, border = scale) and sharpness of a super-
resolution model on the held-out photos (never trained on), beside bicubic upsampling of the same inputs.

MODEL is anything ``zoo.load`` takes (``srresnet``, ``srgan``, a run directory, ``hf-hub:user/repo``).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

import torch

from zoo.data.photos import TEST_PHOTOS, photo_path, read_rgb
from zoo.metrics.superres import sr_scores

PROTOCOL = (
    "held-out photos {photos} (never trained on); HR cropped to a multiple of the scale, LR = bicubic "
    "downsampling (antialiased, PIL's kernel) in 8 bits; outputs rounded to 8 bits; PSNR and SSIM (Gaussian "
    "11x11, sigma 1.5) on Y of YCbCr (BT.601) with {scale} pixels of border removed, averaged over images; "
    "sharpness = variance of the Laplacian of Y over the HR image's (1 = as sharp as the ground truth); "
    "upscale() with its default tiles"
)


def evaluate(model: Any, photos: tuple[str, ...] = TEST_PHOTOS) -> dict[str, Any]:
    """The model's and bicubic's scores on ``photos`` (``"package:file"`` names), with the protocol."""
    images = [read_rgb(photo_path(ref)).float() / 255 for ref in photos]
    scores = sr_scores(model.upscale, images, model.scale)
    names = ", ".join(ref.split(":")[1] for ref in photos)
    return {**scores, "protocol": PROTOCOL.format(photos=names, scale=model.scale)}


def main(argv: list[str] | None = None) -> int:
    import zoo

    parser = argparse.ArgumentParser(prog="python -m zoo_plugins.srgan.evaluate", description=__doc__)
    parser.add_argument("model", help="model name, run directory or hf-hub:user/repo")
    args = parser.parse_args(argv)
    torch.manual_seed(0)
    print(json.dumps(evaluate(zoo.load(args.model)), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
