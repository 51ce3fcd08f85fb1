"""How DAMSM encoders and the attribute grader rate degraded real scenes: blurred, or faded towards grey.

A generator trained with the DAMSM loss learns whatever the encoders accept; the grader
(``zoo.metrics.shapes_attributes``) reads crisp shapes on a dark background. This prints, for real scenes of
the validation slice (training split, scene seed 2: never the test or unseen splits), the encoders'
R-precision and the grader's accuracy as the scenes are blurred or faded. Encoders that score a degraded
scene as high as the real one let a generator get away with it.

    OMP_NUM_THREADS=1 python benchmarks/attngan_degraded.py RUN [--n 200]
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

import torch
from zoo_plugins.attngan.training import blurred

import zoo
from zoo.data.shapes import CaptionedShapes
from zoo.images import to_tensor
from zoo.metrics.shapes_attributes import accuracy, load_classifier, single_shape_scenes
from zoo.metrics.text_to_image import r_precision

#: each degradation of images in [0, 1]: a Gaussian blur of sigma pixels, or contrast c around mid grey
DEGRADATIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "as drawn": lambda x: x,
    **{f"blurred, sigma {s} px": (lambda x, s=s: blurred(x, s)) for s in (1, 2, 3)},
    **{f"contrast {c}": (lambda x, c=c: c * x + (1 - c) / 2) for c in (0.5, 0.2, 0.05)},
}


@torch.no_grad()
def degraded_scores(run: str, n: int = 200, scene_seed: int = 2) -> dict[str, dict[str, float]]:
    """Per degradation: the encoders' R-precision on ``n`` training-split scenes of ``scene_seed`` and the
    grader's accuracy on ``n`` single-shape ones (as ``zoo.metrics.text_to_image`` validates)."""
    if scene_seed in (0, 1):
        raise ValueError(f"scene seed {scene_seed} is not held out (0: training, 1: the grader's): use 2+")
    model = zoo.load(run)
    scenes = CaptionedShapes("train", size=64, length=n, seed=scene_seed)
    pick = torch.randint(5, (n,), generator=torch.Generator().manual_seed(0)).tolist()
    captions = [scenes.captions(i)[k] for i, k in enumerate(pick)]
    pool = [c for i in range(n) for c in scenes.captions(i)]
    real = torch.stack([to_tensor(scenes.image(i)) for i in range(n)])
    singles, labels, _ = single_shape_scenes("train", n, seed=scene_seed)
    out = {}
    for name, degrade in DEGRADATIONS.items():
        graded = accuracy(load_classifier(), degrade(singles), labels)
        out[name] = {"r_precision": r_precision(model, degrade(real), captions, pool), **graded}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("run", help="a DAMSM or AttnGAN run directory (its encoders are scored)")
    parser.add_argument("--n", type=int, default=200, help="validation scenes (default 200)")
    args = parser.parse_args(argv)
    print("| real scenes | R-precision | shape | colour | size | position | all |")
    print("|---|---|---|---|---|---|---|")
    for name, row in degraded_scores(args.run, args.n).items():
        print(f"| {name} | " + " | ".join(f"{v:.3f}" for v in row.values()) + " |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
