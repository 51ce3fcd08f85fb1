"""Do DAMSM encoders tell the shapes apart? The share of real single-shape scenes whose image code is
closer (sentence cosine) to the scene's own caption than to the same caption with the shape word swapped,
and by how much on average (the margin; the colour and place words keep the two captions' cosines close).

Inside a training batch colour and place alone tell most captions apart, so encoders may learn the shapes
only weakly, and a generator trained with their loss then has no reason to draw them. The scenes are the
validation slice (training split, scene seed 2: never the test or unseen splits); each caption names the
scene's shape once, and one other shape, drawn with a fixed seed, replaces it.

    OMP_NUM_THREADS=1 python benchmarks/attngan_swapped.py RUN [--n 300] [--scene-seed 2]
"""

from __future__ import annotations

import argparse

import torch
import torch.nn.functional as F
from zoo_plugins.attngan.training import swapped

import zoo
from zoo.data.shapes import SHAPES
from zoo.metrics.shapes_attributes import single_shape_scenes


@torch.no_grad()
def swapped_preference(run: str, n: int = 300, scene_seed: int = 2) -> tuple[float, float]:
    """The share of ``n`` single-shape scenes of ``scene_seed`` whose own caption outscores its
    shape-swapped copy under the encoders of ``run``, and the mean cosine margin (own minus swapped)."""
    if scene_seed in (0, 1):
        raise ValueError(f"scene seed {scene_seed} is not held out (0: training, 1: the grader's): use 2+")
    model = zoo.load(run).eval()
    images, _, captions = single_shape_scenes("train", n, seed=scene_seed)
    torch.manual_seed(0)
    wrong = swapped(captions, [list(SHAPES)], model.vocab.words)
    _, code = model.encode_images(images)
    own = F.cosine_similarity(code, model.encode_text(captions)[1])
    other = F.cosine_similarity(code, model.encode_text(wrong)[1])
    return float((own > other).float().mean()), float((own - other).mean())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("run", help="a DAMSM or AttnGAN run directory (its encoders are scored)")
    parser.add_argument("--n", type=int, default=300, help="validation scenes (default 300)")
    parser.add_argument("--scene-seed", type=int, default=2, help="scene seed, 2 or more (default 2)")
    args = parser.parse_args(argv)
    share, margin = swapped_preference(args.run, args.n, args.scene_seed)
    print(
        f"own caption above the shape-swapped one: {share:.3f} of the scenes; mean cosine margin {margin:.3f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
