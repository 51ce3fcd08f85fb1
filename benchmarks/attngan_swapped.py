"""Do DAMSM encoders tell the shapes apart? The share of real single-shape scenes whose image code is
closer (sentence cosine) to the scene's own caption than to the same caption with the shape word swapped,
and by how much on average (the margin; the colour and place words keep the two captions' cosines close).

Inside a training batch colour and place alone tell most captions apart, so encoders may learn the shapes
only weakly, and a generator trained with their loss then has no reason to draw them. The scenes are the
validation slice (training split, scene seed 2: never the test or unseen splits); each caption names the
scene's shape once, and one other shape, drawn with a fixed seed, replaces it.

``--generated`` scores an AttnGAN's own images of those captions (seed 0) instead of the real scenes, per
shape, beside what the attribute grader (zoo/metrics/shapes_attributes) calls them: whether the DAMSM loss
still pushes on a shape the generator draws wrong (for the 20,000-step run's stars it did not).

    OMP_NUM_THREADS=1 python benchmarks/attngan_swapped.py RUN [--n 300] [--scene-seed 2] [--generated]
"""

from __future__ import annotations

import argparse

import torch
import torch.nn.functional as F
from zoo_plugins.attngan.training import swapped

import zoo
from zoo.data.shapes import SHAPES
from zoo.metrics.shapes_attributes import ATTRIBUTES, load_classifier, single_shape_scenes


@torch.no_grad()
def swapped_preference(
    run: str, n: int = 300, scene_seed: int = 2, generated: bool = False
) -> tuple[float, float, dict[str, tuple[int, int, int]]]:
    """The share of ``n`` single-shape scenes of ``scene_seed`` whose own caption outscores its
    shape-swapped copy under the encoders of ``run``, the mean cosine margin (own minus swapped), and per
    shape (scenes, preferred own caption, grader right); ``generated``: on ``run``'s images, not the real."""
    if scene_seed in (0, 1):
        raise ValueError(f"scene seed {scene_seed} is not held out (0: training, 1: the grader's): use 2+")
    model = zoo.load(run).eval()
    images, labels, captions = single_shape_scenes("train", n, seed=scene_seed)
    if generated:
        if not hasattr(model, "generator"):
            raise ValueError(f"--generated needs an AttnGAN run or model; {run} holds DAMSM encoders only")
        images = model.generate(captions, seed=0)
    torch.manual_seed(0)
    wrong = swapped(captions, [list(SHAPES)], model.vocab.words)
    _, code = model.encode_images(images)
    own = F.cosine_similarity(code, model.encode_text(captions)[1])
    other = F.cosine_similarity(code, model.encode_text(wrong)[1])
    shape = labels[:, list(ATTRIBUTES).index("shape")]
    graded = load_classifier().eval()(images)["shape"].argmax(1) == shape
    per_shape = {
        name: (int((shape == k).sum()), int((own > other)[shape == k].sum()), int(graded[shape == k].sum()))
        for k, name in enumerate(SHAPES)
    }
    return float((own > other).float().mean()), float((own - other).mean()), per_shape


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("run", help="a DAMSM or AttnGAN run directory (its encoders are scored)")
    parser.add_argument("--n", type=int, default=300, help="validation scenes (default 300)")
    parser.add_argument("--scene-seed", type=int, default=2, help="scene seed, 2 or more (default 2)")
    parser.add_argument("--generated", action="store_true", help="score the run's images of the captions")
    args = parser.parse_args(argv)
    share, margin, per_shape = swapped_preference(args.run, args.n, args.scene_seed, args.generated)
    print(
        f"{'generated' if args.generated else 'real'} images: own caption above the shape-swapped one: "
        f"{share:.3f} of the scenes; mean cosine margin {margin:.3f}"
    )
    for name, (count, preferred, right) in per_shape.items():
        print(f"  {name:8s} {count:3d} scenes: own caption preferred {preferred:3d}, grader right {right:3d}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
