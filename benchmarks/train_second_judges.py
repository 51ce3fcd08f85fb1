"""Train the second, independent judges of the digit domains (``zoo.metrics.judges``, ``lenet``).

A quality claim read by one classifier can be that classifier's blind spot, so every translation figure is
also read by a judge that shares as little as possible with the bundled 3-block CNN (``cnn``):

- architecture: LeNet-5's layout (5x5 convolutions, no batch norm, a fully connected head with dropout);
- training code: this script (its own loop, SGD with Nesterov momentum and a cosine rate, label smoothing;
  the CNN's trainer uses AdamW with a one-cycle rate) and its own augmentation: a random affine map with
  shear and unequal x/y scales, and an elastic distortion (Simard et al. 2003), instead of zoo's jitter;
- seed 7 (the CNNs: 0);
- data: MNIST: the same 4,000 train-split digits (no other MNIST digits ship offline), distorted as above;
  font digits: 10 fonts the CNN never saw, rendered here (the oblique and italic faces matplotlib ships and
  Pillow's built-in Aileron, none in ``zoo.data.fonts.FONTS``), each digit at three stroke weights, fitted
  to a box of 18 px (the CNN's renderer: 12 upright fonts fitted to 20 px), then distorted as above; the
  random shear lets slanted faces stand upright.

Each judge's accuracy is then measured on its domain's real test split (MNIST test digits; the 12 fonts'
test renderings, so the font judge is read on fonts it never saw). Seeded and single-threaded: a rerun
gives the same weights on the same machine. Writes ``zoo/metrics/lenet_<domain>.safetensors`` and its
record ``.json`` (minutes on one CPU core).

    python benchmarks/train_second_judges.py [--domains mnist fonts] [--epochs 30] [--seed 7]
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from zoo.data import build_dataset
from zoo.data.fonts import FONTS, font_folder
from zoo.io import atomic_path
from zoo.metrics.judges import LeNet, lenet_files
from zoo.metrics.train_classifier import accuracy
from zoo.weights import save_weights, sha256_of

#: fonts the bundled font CNN never saw (``None``: Pillow's built-in font, Aileron)
UNSEEN_FONTS = (
    "DejaVuSans-Oblique.ttf",
    "DejaVuSans-BoldOblique.ttf",
    "DejaVuSansMono-Oblique.ttf",
    "DejaVuSansMono-BoldOblique.ttf",
    "DejaVuSerif-Italic.ttf",
    "DejaVuSerif-BoldItalic.ttf",
    "STIXGeneralItalic.ttf",
    "STIXGeneralBolIta.ttf",
    "cmti10.ttf",
    None,
)
STROKES = (0, 1, 2)  # extra outline width in pixels at the 48-px rendering size
DATA = {
    "mnist": "mnist train split (4,000 digits, 32x32), random affine (shear, x/y scale) + elastic distortion",
    "fonts": (
        f"digits of {len(UNSEEN_FONTS)} fonts not in zoo.data.fonts.FONTS (matplotlib's oblique/italic faces "
        f"and Pillow's Aileron) x {len(STROKES)} stroke weights, fitted to 18 px, random affine (shear, x/y "
        "scale) + elastic distortion"
    ),
}


def render_fonts() -> tuple[torch.Tensor, torch.Tensor]:
    """``(len(UNSEEN_FONTS) * 10 * len(STROKES), 1, 32, 32)`` glyphs in [0, 1] and their labels."""
    from PIL import Image, ImageDraw, ImageFont

    assert not set(UNSEEN_FONTS) & set(FONTS), "the second judge must not see the first's fonts"
    images, labels = [], []
    for name in UNSEEN_FONTS:
        font = (
            ImageFont.load_default(48) if name is None else ImageFont.truetype(str(font_folder() / name), 48)
        )
        for digit in range(10):
            for stroke in STROKES:
                canvas = Image.new("L", (112, 112))
                ImageDraw.Draw(canvas).text((28, 16), str(digit), fill=255, font=font, stroke_width=stroke)
                glyph = canvas.crop(canvas.getbbox())
                scale = 18 / max(glyph.size)
                w, h = max(1, round(glyph.width * scale)), max(1, round(glyph.height * scale))
                box = Image.new("L", (32, 32))
                box.paste(glyph.resize((w, h), Image.Resampling.BICUBIC), ((32 - w) // 2, (32 - h) // 2))
                images.append(torch.frombuffer(bytearray(box.tobytes()), dtype=torch.uint8).view(1, 32, 32))
                labels.append(digit)
    return torch.stack(images).float() / 255, torch.tensor(labels)


def distort(x: torch.Tensor, gen: torch.Generator, shear: float = 0.3, elastic: float = 1.0) -> torch.Tensor:
    """A random affine map (rotation ±12°, shear ±``shear``, x and y scale 0.85-1.15 each, shift ±3 px)
    and an elastic displacement (smooth noise, up to about ``elastic`` px) of ``(N, 1, 32, 32)`` images."""
    n, size = x.shape[0], x.shape[-1]

    def uniform(low: float, high: float, *shape: int) -> torch.Tensor:
        return low + (high - low) * torch.rand(n, *shape, generator=gen)

    angle, sh = uniform(-math.radians(12), math.radians(12)), uniform(-shear, shear)
    sx, sy, shift = uniform(0.85, 1.15), uniform(0.85, 1.15), uniform(-3, 3, 2) * 2 / size
    cos, sin = torch.cos(angle), torch.sin(angle)
    # output -> input coordinates: rotation @ shear @ inverse scale
    a = torch.stack([torch.stack([cos, -sin], 1), torch.stack([sin, cos], 1)], 1)
    a = a @ torch.stack(
        [torch.stack([torch.ones(n), sh], 1), torch.stack([torch.zeros(n), torch.ones(n)], 1)], 1
    )
    a = a / torch.stack([sx, sy], 1)[:, None, :]
    grid = F.affine_grid(torch.cat([a, shift[:, :, None]], 2), list(x.shape), align_corners=False)
    noise = torch.rand(n, 2, size // 4, size // 4, generator=gen) * 2 - 1
    field = F.interpolate(noise, size=(size, size), mode="bicubic", align_corners=False)
    grid = grid + field.permute(0, 2, 3, 1) * (elastic * 2 / size)
    return F.grid_sample(x, grid, align_corners=False, padding_mode="zeros").clamp(0, 1)


def train(
    x: torch.Tensor, y: torch.Tensor, seed: int, epochs: int, per_epoch: int, batch_size: int = 128
) -> LeNet:
    """A LeNet trained on ``per_epoch`` freshly distorted draws of ``(x, y)`` per epoch."""
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    model = LeNet()
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True, weight_decay=5e-4)
    steps = epochs * math.ceil(per_epoch / batch_size)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    for epoch in range(epochs):
        model.train()
        start, total = time.perf_counter(), 0.0
        picks = torch.randint(len(y), (per_epoch,), generator=gen)
        for idx in picks.split(batch_size):
            loss = F.cross_entropy(model(distort(x[idx], gen)), y[idx], label_smoothing=0.1)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
        print(
            f"epoch {epoch + 1}/{epochs}: loss {total / per_epoch:.4f} ({time.perf_counter() - start:.1f} s)"
        )
    return model.eval()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--domains", nargs="+", choices=sorted(DATA), default=sorted(DATA))
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--per-epoch", type=int, default=8000, help="distorted draws per epoch")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=None, help="folder for the files (default zoo/metrics/)")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    for domain in args.domains:
        if domain == "fonts":
            x, y = render_fonts()
        else:
            train_split = build_dataset("mnist", "train")
            x, y = train_split.images, train_split.labels
        model = train(x, y, args.seed, args.epochs, args.per_epoch)
        test = build_dataset(domain, "test")
        acc = accuracy(model, test.images, test.labels)
        weights, record = lenet_files(domain)
        if args.out is not None:
            weights, record = args.out / weights.name, args.out / record.name
        info = {
            "test_accuracy": round(acc, 4),
            "test_digits": len(test),
            "architecture": "LeNet-5 layout: conv5x5 20, pool, conv5x5 50, pool, fc 200, fc 84, fc 10",
            "data": DATA[domain],
            "training": f"SGD nesterov 0.9, lr 0.05 cosine, wd 5e-4, batch 128, label smoothing 0.1, "
            f"{args.epochs} epochs of {args.per_epoch} draws",
            "seed": args.seed,
            "torch": torch.__version__,
            "command": f"python benchmarks/train_second_judges.py --domains {domain} --epochs {args.epochs} "
            f"--per-epoch {args.per_epoch} --seed {args.seed}",
        }
        save_weights(model, weights, metadata={k: str(v) for k, v in info.items()})
        with atomic_path(record) as tmp:
            tmp.write_text(json.dumps({**info, "sha256": sha256_of(weights)}, indent=2) + "\n")
        print(
            f"{domain}: lenet judge test accuracy {acc:.4f} on {len(test)} real test digits; wrote {weights}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
