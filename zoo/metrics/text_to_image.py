"""Quality of text-to-image models on ``zoo.data.shapes``: R-precision and attribute accuracy.

R-precision (Xu et al. 2018): for each image generated from a caption, the caption and 99 captions of
other scenes are ranked by the cosine similarity of the model's DAMSM sentence feature to the image's
global feature; the score is the share of images whose own caption ranks first. It grades the model with
its own encoders, so ``r_precision_real`` gives the same number on the real images (the encoders' ceiling).

Attribute accuracy: images generated from one caption (one that names the size) of each of 1,000
single-shape scenes are graded by the bundled attribute classifier (``zoo.metrics.shapes_attributes``,
trained on real scenes only) against the scene's shape, colour, size and position; ``seen`` scenes come
from the test split (colour-shape pairs the model was trained on), ``unseen`` ones from the unseen split
(each a held-out pair, never in training).
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from zoo.data.shapes import HELD_OUT, CaptionedShapes
from zoo.images import to_tensor
from zoo.metrics.shapes_attributes import accuracy, load_classifier, record, single_shape_scenes

CANDIDATES = 100  # 1 true caption among 100, as the paper


@torch.no_grad()
def _generate(
    model: torch.nn.Module,
    captions: list[str],
    seed: int,
    truncation: float | None = None,
    batch: int = 100,
) -> torch.Tensor:
    """Images of ``captions`` in batches of ``batch`` (seeds ``seed``, ``seed + batch``, ...); the model's
    own ``truncation`` unless one is given."""
    options = {} if truncation is None else {"truncation": truncation}
    was_training = model.training
    model.eval()
    try:
        return torch.cat(
            [
                model.generate(captions[i : i + batch], seed=seed + i, **options).float().cpu()
                for i in range(0, len(captions), batch)
            ]
        )
    finally:
        model.train(was_training)


@torch.no_grad()
def r_precision(
    model: torch.nn.Module, images: torch.Tensor, captions: list[str], pool: list[str], seed: int = 0
) -> float:
    """Share of ``images`` whose own caption beats 99 captions drawn (with ``seed``) from ``pool``, minus
    those with the same text, by the cosine of ``model``'s DAMSM features."""
    if len(set(pool)) < CANDIDATES:
        raise ValueError(
            f"R-precision needs at least {CANDIDATES} distinct captions in the pool, got {len(set(pool))}"
        )
    codes = torch.cat([model.encode_images(chunk)[1].float().cpu() for chunk in images.split(100)])
    own = torch.cat(
        [model.encode_text(captions[i : i + 100])[1].float().cpu() for i in range(0, len(captions), 100)]
    )
    others = torch.cat(
        [model.encode_text(pool[i : i + 100])[1].float().cpu() for i in range(0, len(pool), 100)]
    )
    codes, own, others = (F.normalize(t, dim=1) for t in (codes, own, others))
    gen = torch.Generator().manual_seed(seed)
    hits = 0
    for i, caption in enumerate(captions):
        allowed = torch.tensor([p != caption for p in pool])
        choice = torch.nonzero(allowed).flatten()
        wrong = choice[torch.randperm(len(choice), generator=gen)[: CANDIDATES - 1]]
        scores = torch.cat([own[i : i + 1], others[wrong]]) @ codes[i]
        hits += int(scores[0] > scores[1:].max())
    return hits / len(captions)


def _r_precisions(
    model: torch.nn.Module, scenes: CaptionedShapes, seed: int, truncation: float | None = None
) -> dict[str, float]:
    n = len(scenes)
    pick = torch.randint(
        scenes.captions_per_image, (n,), generator=torch.Generator().manual_seed(seed)
    ).tolist()
    captions = [scenes.captions(i)[k] for i, k in enumerate(pick)]
    pool = [c for i in range(n) for c in scenes.captions(i)]
    real = torch.stack([to_tensor(scenes.image(i)) for i in range(n)])
    return {
        "r_precision": r_precision(model, _generate(model, captions, seed, truncation), captions, pool, seed),
        "r_precision_real": r_precision(model, real, captions, pool, seed),
    }


def evaluate_text_to_image(model: torch.nn.Module, n: int = 1000, seed: int = 0) -> dict[str, Any]:
    """R-precision on ``n`` test-split scenes (real and generated) and attribute accuracy on ``n`` seen and
    ``n`` unseen single-shape scenes; images generated with seeds ``seed``, ``seed + 1``, ..."""
    out: dict[str, Any] = _r_precisions(model, CaptionedShapes("test", size=model.sizes[-1], length=n), seed)
    for name, split in (("seen", "test"), ("unseen", "unseen")):
        out.update(_attribute_scores(model, name, split, n, seed))
        out.update({f"{name}_{attr}_real": value for attr, value in record()[split].items()})
    out["n"] = n
    return out


def _attribute_scores(
    model: torch.nn.Module,
    name: str,
    split: str,
    n: int,
    seed: int,
    scene_seed: int = 0,
    truncation: float | None = None,
) -> dict[str, float]:
    """``{name}_{attribute}``: the grader on images generated from ``n`` single-shape scenes of ``split``."""
    _, labels, captions = single_shape_scenes(split, n, seed=scene_seed)
    scores = accuracy(load_classifier(), _generate(model, captions, seed, truncation), labels)
    return {f"{name}_{attr}": value for attr, value in scores.items()}


def protocol(n: int, seed: int) -> str:
    """The protocol behind ``evaluate_text_to_image``'s numbers, in words."""
    rec = record()
    held_out = ", ".join(f"{colour} {shape}" for colour, shape in HELD_OUT)
    return (
        f"shapes (zoo.data.shapes) at the model's last-stage size, model in eval mode. r_precision: {n} "
        f"test-split scenes (never trained on), one caption each (drawn with seed {seed}), one image each "
        f"(seeds {seed}..); the true caption among {CANDIDATES} (99 captions of other test scenes drawn with "
        f"seed {seed}) ranked by the cosine of the model's own DAMSM sentence and global image features; "
        "r_precision_real: the same with the real images. seen_*/unseen_*: "
        f"{n} single-shape scenes of the test split (colour-shape pairs seen in training) and of the unseen "
        f"split (held-out pairs: {held_out}), one image each from the scene's first caption that names its "
        "size (else its first caption; shapes_attributes.graded_caption), graded by the bundled attribute "
        "classifier (zoo/metrics/shapes_attributes.safetensors, sha256 "
        f"{rec['sha256'][:12]}; shape/colour/size/position heads trained on real scenes of scene seed 1); "
        "*_all: every attribute right; *_real: the classifier on the real scenes (the ceiling)"
    )


def validate_text_to_image(
    model: torch.nn.Module,
    n: int = 200,
    scene_seed: int = 2,
    seed: int = 0,
    truncation: float | None = None,
) -> dict[str, Any]:
    """The numbers of ``evaluate_text_to_image`` on a validation slice of the **training** split: ``n``
    train-split scenes of scene seed ``scene_seed`` for R-precision and ``n`` single-shape ones for the
    seen attributes (no unseen split). Training draws scene seed 0 and the grader was trained on seed 1,
    so recipes are tuned on seed 2 (the default) without ever looking at the test or unseen splits.
    ``truncation``: passed to ``generate`` (AttnGAN's noise scale), to tune it on the same slice."""
    if scene_seed in (0, 1):
        raise ValueError(
            f"scene seed {scene_seed} is not held out (0: the training scenes, 1: the grader's): use 2+"
        )
    out: dict[str, Any] = _r_precisions(
        model, CaptionedShapes("train", size=model.sizes[-1], length=n, seed=scene_seed), seed, truncation
    )
    out.update(_attribute_scores(model, "seen", "train", n, seed, scene_seed, truncation))
    out.update({"n": n, "scene_seed": scene_seed, "split": "train"})
    if truncation is not None:
        out["truncation"] = truncation
    return out


def main(argv: list[str] | None = None) -> int:
    """``python -m zoo.metrics.text_to_image RUN``: the validation numbers of a run as JSON (tuning only;
    the reported numbers come from ``zoo evaluate RUN``)."""
    import argparse
    import json

    from zoo.loading import load

    parser = argparse.ArgumentParser(prog="python -m zoo.metrics.text_to_image", description=main.__doc__)
    parser.add_argument("run", help="a run directory (or model name) of a text-to-image model")
    parser.add_argument("--n", type=int, default=200, help="validation scenes (default 200)")
    parser.add_argument("--scene-seed", type=int, default=2, help="scene seed of the slice (default 2)")
    parser.add_argument("--truncation", type=float, help="noise scale passed to generate (default: none)")
    args = parser.parse_args(argv)
    model = load(args.run)
    print(json.dumps(validate_text_to_image(model, args.n, args.scene_seed, truncation=args.truncation)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
