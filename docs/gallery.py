"""Draw every picture of the documentation site from the bundled models (and short recipe runs).

    python docs/gallery.py                      # every model's picture, into docs/
    python docs/gallery.py gan-mnist ganomaly-mnist --out-dir /tmp/pictures
    python docs/gallery.py --curves             # also a short run of each CURVES recipe, and its curves
    python docs/gallery.py --curves-only dcgan-mnist   # only the curves of the entries named

Each registry entry has one picture, named in ``PICTURES`` (the model pages of the site show it):
samples of the generate models, translations (docs/translation_figure.py), upscales (docs/srgan_figure.py),
text to image with word attention (docs/attngan_figure.py) and anomaly scores. The same seed gives the same
bytes. The recipe runs that trained the bundled models are not kept, so ``--curves`` draws the curves of a
short run of the recipe instead (``zoo plot``), and the site says so.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import torch
import yaml
from PIL import Image, ImageDraw

import zoo
from zoo.data.mnist import MNIST
from zoo.images import save_image, save_samples, to_pil

DOCS = Path(__file__).parent
ROOT = DOCS.parent
sys.path.insert(0, str(DOCS))  # the figure scripts next to this one

#: picture file (in docs/) of every registry entry
PICTURES = {
    "dcgan-mnist": "dcgan-mnist-samples.png",
    "gan-mnist": "gan-mnist-samples.png",
    "gan-gaussians25": "gan-gaussians25-samples.png",
    "pix2pix-edges2digits": "pix2pix-edges2digits.png",
    "cyclegan-mnist2font": "cyclegan-mnist2font.png",
    "srresnet": "srgan.png",
    "srgan": "srgan.png",
    "attngan-shapes": "attngan-attention.png",
    "ganomaly-mnist": "ganomaly-mnist-scores.png",
}
#: entries whose short recipe run ``--curves`` draws, with its number of steps: each takes minutes at most on
#: a 2-core CPU
CURVES = {
    "gan-mnist": 1000,
    "gan-gaussians25": 1000,
    "dcgan-mnist": 1000,
    "ganomaly-mnist": 1000,
    "pix2pix-edges2digits": 1000,
    "cyclegan-mnist2font": 500,
    "srresnet": 300,
    "srgan": 300,
    "attngan-shapes": 500,
}
#: recipe fields replaced in the short run (``--set`` assignments), and what to say: the runs the recipe
#: starts from are not kept, the bundled models trained by them are
CURVE_CHANGES = {
    "srgan": (["init=srresnet"], "init: the bundled srresnet"),
    "attngan-shapes": (
        ["init=attngan-shapes", "step.damsm=attngan-shapes"],
        "init and DAMSM encoders: the bundled attngan-shapes",
    ),
}
#: samples drawn by the generate models (the 2-D one as a scatter plot, where more points show the modes)
SAMPLE_COUNT = {"gan-gaussians25": 1000}


def curves_file(name: str) -> str:
    """The picture of the short recipe run of ``name``."""
    return f"{name}-curves.png"


def samples(name: str, out: Path, seed: int = 0) -> None:
    """``zoo run NAME --n 64 --seed 0``: a grid of images, or a scatter plot of 2-D points."""
    save_samples(zoo.load(name).generate(SAMPLE_COUNT.get(name, 64), seed=seed), out)
    print(out)


def translations(_: str, out: Path) -> None:
    """Both translation pictures, from held-out digits (docs/translation_figure.py)."""
    import translation_figure

    translation_figure.main(out.parent)


def upscales(_: str, out: Path) -> None:
    """LR | bicubic | srresnet | srgan | ground truth crops (docs/srgan_figure.py)."""
    import srgan_figure

    srgan_figure.main(["--out", str(out)])


def attention(name: str, out: Path) -> None:
    """Generated scenes with each word's attention (docs/attngan_figure.py)."""
    import attngan_figure

    attngan_figure.main([name, "--out", str(out)])


@torch.no_grad()
def anomaly_scores(name: str, out: Path, per_digit: int = 2, cell: int = 64) -> None:
    """Held-out test digits, ``per_digit`` of each class, each with its score; red where flagged anomalous
    (score >= the model's threshold). The model never saw a 3."""
    model = zoo.load(name)
    test = MNIST("test")
    chosen = [int(i) for d in range(10) for i in (test.labels == d).nonzero()[:per_digit, 0]]
    images = test.images[chosen]
    scores = model.score(images).tolist()
    threshold = float(model.threshold)
    big = torch.nn.functional.interpolate(images, size=(cell, cell), mode="nearest")
    sheet = Image.new("RGB", (10 * cell, per_digit * (cell + 14) + 16), "white")
    draw = ImageDraw.Draw(sheet)
    draw.text(
        (2, 2), f"score (red: >= threshold {threshold:.2f}); digit 3 held out of training", fill="black"
    )
    for k, (image, score) in enumerate(zip(big, scores, strict=True)):
        x, y = (k // per_digit) * cell, 16 + (k % per_digit) * (cell + 14)
        sheet.paste(to_pil(image), (x, y))
        draw.text((x + 4, y + cell), f"{score:.2f}", fill="red" if score >= threshold else "darkgreen")
    save_image(sheet, out)
    print(out)


DRAW: dict[str, Callable[[str, Path], None]] = {
    "dcgan-mnist": samples,
    "gan-mnist": samples,
    "gan-gaussians25": samples,
    "pix2pix-edges2digits": translations,
    "cyclegan-mnist2font": translations,
    "srresnet": upscales,
    "srgan": upscales,
    "attngan-shapes": attention,
    "ganomaly-mnist": anomaly_scores,
}


def short_run_curves(name: str, out_dir: Path) -> Path:
    """Train the first ``CURVES[name]`` steps of ``name``'s recipe (logging often) and draw them with
    ``zoo plot``; the title names the recipe, the steps and any field changed (``CURVE_CHANGES``)."""
    from zoo.overrides import apply_override
    from zoo.plot import plot_run
    from zoo.registry import registry

    entry = registry().find(name)
    steps, recipe_file = CURVES[name], f"configs/{entry.recipe_path.name}"
    recipe = yaml.safe_load(entry.recipe_path.read_text())
    assignments, said = CURVE_CHANGES.get(name, ([], ""))
    for assignment in assignments:
        apply_override(recipe, assignment)
    schedule = recipe.get("lr_schedule") or {}
    start = schedule.get("start", 0)
    if schedule and steps <= (start if start >= 1 else start * recipe["steps"]):
        recipe["lr_schedule"] = None  # its decay starts after these steps: the same rates
    recipe.update(log_every=max(steps // 40, 1), sample_every=0, checkpoint_every=steps, eval_every=0)
    with tempfile.TemporaryDirectory() as tmp:
        run = zoo.train(recipe, out=Path(tmp) / name, steps=steps, device="cpu")
        note = f"{said}; not the bundled run" if said else "not the bundled run"
        title = f"{name}: the first {steps} steps of {recipe_file}\n({note})"
        return plot_run(run, out_dir / curves_file(name), title=title)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("names", nargs="*", help=f"entries to draw (default: all of {', '.join(PICTURES)})")
    parser.add_argument("--out-dir", type=Path, default=DOCS, help="where the pictures go (default: docs/)")
    parser.add_argument("--curves", action="store_true", help=f"also the short runs of {', '.join(CURVES)}")
    parser.add_argument(
        "--curves-only", nargs="+", metavar="NAME", choices=list(CURVES), help="only these short runs' curves"
    )
    args = parser.parse_args(argv)
    if args.curves_only:
        for name in args.curves_only:
            print(short_run_curves(name, args.out_dir))
        return 0
    unknown = sorted(set(args.names) - set(PICTURES))
    if unknown:
        parser.error(f"no picture for {', '.join(unknown)}; choose from {', '.join(PICTURES)}")
    args.out_dir.mkdir(parents=True, exist_ok=True)
    done: set[Callable] = set()
    for name in args.names or PICTURES:
        draw = DRAW[name]
        if draw in (translations, upscales) and draw in done:
            continue  # one call draws the pictures of several entries
        draw(name, args.out_dir / PICTURES[name])
        done.add(draw)
    for name in CURVES if args.curves else ():
        print(short_run_curves(name, args.out_dir))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
