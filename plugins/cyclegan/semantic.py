"""CyCADA's semantic-consistency loss (Hoffman et al. 2018, arXiv:1711.03213, Eq. 4), an option of the
CycleGAN step: a frozen classifier must give each translation the label it gives the image it came from.

The cycle loss only asks that a translation can be translated back; it does not mind if a digit comes out
as another digit that cycles back. CyCADA adds this term with a classifier trained on the source domain's
labels; any classifier that reads both domains will do (the mnist2font recipe's is trained on both). Its
own predictions on the inputs are the targets, so the training data needs no labels.

A classifier that reads both domains also accepts a translation that still looks like its input's domain.
``semantic_judges: {A: spec, B: spec}`` (our option, not CyCADA's) hands the verdict on each translation to a
classifier trained on the domain it is translated into (or to several, their losses averaged), so the label
must be readable in that domain's style; the labels of the inputs still come from ``semantic_classifier``.
``semantic_jitter: true`` has every classifier read the translations through a small random affine jitter.

The classifier is any timm model (``semantic_classifier: {model: NAME, checkpoint: FILE, **timm args}``)
that reads images in [0, 1]; ``python -m zoo_plugins.cyclegan.semantic --data mnist fonts --out FILE``
trains one on labelled zoo datasets. ``FILE`` is a path (relative to the folder ``zoo train`` runs in) or
``PACKAGE:PATH``, a file shipped inside an installed package (``zoo_plugins.cyclegan:weights/x.safetensors``),
so a recipe that names one works from any folder.
"""

from __future__ import annotations

import argparse
import functools
import importlib.resources
import json
import re
from collections.abc import Sequence
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from zoo.data.augment import jitter
from zoo.weights import load_weights


def _build(model: str, **kwargs) -> nn.Module:
    """An untrained timm classifier ``model`` built with ``kwargs`` (``in_chans``, ``num_classes``, ...)."""
    import timm

    return timm.create_model(model, pretrained=False, **kwargs)


#: ``PACKAGE:PATH``: a dotted module name of two or more characters (never a Windows drive letter)
_PACKAGE_FILE = re.compile(r"([A-Za-z_][\w.]+):(?![\\/])(.+)")


def checkpoint_path(checkpoint: str, option: str) -> Path:
    """The file ``checkpoint`` names: a path, or ``PACKAGE:PATH`` inside an installed package."""
    found = _PACKAGE_FILE.fullmatch(checkpoint)
    if found is None:
        path = Path(checkpoint)
        where = "relative paths are from the folder zoo train runs in"
    else:
        package, relative = found.groups()
        try:
            path = Path(str(importlib.resources.files(package).joinpath(relative)))
        except ModuleNotFoundError as exc:
            raise FileNotFoundError(
                f"{option}.checkpoint {checkpoint!r}: no installed package {package!r} ({exc}); give a "
                "path, or PACKAGE:PATH of a file inside an installed package"
            ) from exc
        where = f"inside the installed package {package}"
    if not path.is_file():
        raise FileNotFoundError(
            f"{option}.checkpoint: {path} is not a file ({where}); train one with "
            "`python -m zoo_plugins.cyclegan.semantic`"
        )
    return path


@functools.cache
def _cached(spec: str, device: str, option: str) -> nn.Module:
    options = json.loads(spec)
    checkpoint = checkpoint_path(str(options.pop("checkpoint")), option)
    net = load_weights(_build(options.pop("model"), **options), checkpoint)
    return net.eval().requires_grad_(False).to(device)


def load_classifier(spec: dict, device: torch.device, option: str = "step.semantic_classifier") -> nn.Module:
    """The frozen classifier the step ``option`` names (``{model, checkpoint, ...timm args}``), loaded
    once per process."""
    missing = {"model", "checkpoint"} - set(spec)
    if missing:
        raise ValueError(
            f"{option} needs {sorted(missing)}: a timm model name and the safetensors file "
            "of its trained weights, e.g. {model: resnet10t, checkpoint: classifier.safetensors, in_chans: 1}"
        )
    return _cached(json.dumps(spec, sort_keys=True), str(device), option)


def load_judges(specs: dict, device: torch.device) -> dict[str, list[nn.Module]]:
    """The frozen classifiers ``semantic_judges`` names per domain: ``{A: spec | [spec, ...], B: ...}``."""
    if set(specs) != {"A", "B"}:
        raise ValueError(
            "step.semantic_judges is {A: classifier spec or list of them, B: ...}: the classifiers of each "
            f"domain that judge the translations into it; got the keys {sorted(specs)}"
        )
    return {
        name: [
            load_classifier(spec, device, f"step.semantic_judges.{name}")
            for spec in (given if isinstance(given, list) else [given])
        ]
        for name, given in specs.items()
    }


def semantic_loss(
    classifier: nn.Module,
    sources: torch.Tensor,
    translations: torch.Tensor,
    judges: Sequence[nn.Module] = (),
    jittered: bool = False,
) -> torch.Tensor:
    """Cross-entropy on ``translations`` against the classifier's labels of ``sources`` (both in [0, 1]), of
    the classifier itself or, given ``judges``, the mean of theirs. ``jittered``: the translations are read
    through a random affine jitter (an expectation over views, so that no pixel pattern that fools the
    classifier in one exact placement pays off)."""
    with torch.no_grad():
        labels = classifier(sources.float()).argmax(1)
    views = jitter(translations.float()) if jittered else translations.float()
    return torch.stack([F.cross_entropy(judge(views), labels) for judge in judges or [classifier]]).mean()


def main(argv: list[str] | None = None) -> int:
    """Train a semantic classifier on the train splits of labelled zoo datasets and save it."""
    from zoo.metrics.train_classifier import train
    from zoo.weights import save_weights, sha256_of

    parser = argparse.ArgumentParser(prog="python -m zoo_plugins.cyclegan.semantic", description=__doc__)
    parser.add_argument(
        "--data", nargs="+", default=["mnist"], help="labelled zoo datasets (their train splits, joined)"
    )
    parser.add_argument("--model", default="resnet10t", help="a timm model name")
    parser.add_argument("--channels", type=int, nargs="*", default=[16, 32, 64, 128], help="ResNet widths")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, required=True, help="the safetensors file to write")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    options = {"in_chans": 1, "num_classes": 10} | ({"channels": args.channels} if args.channels else {})
    model, test_acc = train(
        args.epochs, args.seed, args.data, make_model=lambda: _build(args.model, **options)
    )
    spec = {"model": args.model, "checkpoint": str(args.out), **options}
    data = " + ".join(args.data) + " train splits"
    save_weights(model, args.out, metadata={"spec": json.dumps(spec), "data": data})
    print(f"test-split accuracy {test_acc:.4f}; wrote {args.out} (sha256 {sha256_of(args.out)[:12]})")
    print("step option: semantic_classifier: " + json.dumps(spec))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
