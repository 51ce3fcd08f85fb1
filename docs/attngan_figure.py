"""The word-attention figure of docs/attngan.md: for each caption, the generated image and, for each word,
the last stage's attention map drawn over it (red: where that word's context goes).

    OMP_NUM_THREADS=1 python docs/attngan_figure.py RUN_OR_MODEL --out docs/attngan-attention.png
"""

from __future__ import annotations

import argparse

import torch
import torch.nn.functional as F
from PIL import Image, ImageDraw
from zoo_plugins.attngan.vocab import tokenize

import zoo
from zoo.images import save_image, to_pil

CAPTIONS = [
    "a large red circle at the top left",
    "a small blue square in the center and a large yellow star at the bottom right",
    "a green triangle on the left",  # a held-out pair: never in training
]
CELL = 96


def attention_rows(model, captions: list[str], seed: int) -> Image.Image:
    """One row per caption: the image, then one overlay per word (the word written under it)."""
    images, maps = model.generate(captions, seed=seed, return_attention=True)
    last = maps[-1]
    words = [tokenize(c)[: model.vocab.max_words] for c in captions]
    columns = 1 + max(len(w) for w in words)
    sheet = Image.new("RGB", (columns * CELL, len(captions) * (CELL + 14)), "white")
    draw = ImageDraw.Draw(sheet)
    for row, (image, caption_words) in enumerate(zip(images, words, strict=True)):
        y = row * (CELL + 14)
        base = F.interpolate(image[None], size=(CELL, CELL), mode="nearest")[0]
        sheet.paste(to_pil(base), (0, y))
        draw.text((2, y + CELL), "image", fill="black")
        peak = last[row].max().clamp_min(1e-8)  # one scale per caption: words compare with each other
        for k, word in enumerate(caption_words):
            attn = F.interpolate(last[row, k][None, None], size=(CELL, CELL), mode="bilinear")[0, 0] / peak
            red = torch.stack([torch.ones_like(attn), torch.zeros_like(attn), torch.zeros_like(attn)])
            overlay = base * (1 - 0.6 * attn) + red * 0.6 * attn
            sheet.paste(to_pil(overlay), ((k + 1) * CELL, y))
            draw.text(((k + 1) * CELL + 2, y + CELL), word, fill="black")
    return sheet


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("model", help="a run directory, registry name or hf-hub:user/repo")
    parser.add_argument("--out", default="docs/attngan-attention.png")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    model = zoo.load(args.model)
    sheet = attention_rows(model, CAPTIONS, args.seed)
    save_image(sheet, args.out)
    print(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
