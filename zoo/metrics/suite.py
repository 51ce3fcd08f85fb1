"""``evaluate(model, data_spec)``: the quality numbers of a generator for the dataset it was trained on.

MNIST: the Fréchet distance between classifier features of ``n`` samples and the 1,000 ``test``-split
digits, beside the real-vs-real floor (``n`` ``train``-split digits against the same test split) and
the share of each class among the samples. 2-D mixtures: modes covered and share of high-quality samples.
Paired translation (``edges2digits``): the classifier's accuracy on the translated test-split inputs and
their L1 to the targets (``zoo.metrics.translation``). Anomaly detectors (``mnist_oneclass``): AUROC of
their scores on the test split (``zoo.metrics.anomaly``).
"""

from __future__ import annotations

import functools
from typing import Any

import torch

from zoo.data import MIXTURES, build_dataset
from zoo.metrics.anomaly import evaluate_detector
from zoo.metrics.classifier import FEATURE_DIM, features_and_labels, record
from zoo.metrics.coverage import class_shares, mode_coverage
from zoo.metrics.frechet import feature_stats, frechet_from_stats
from zoo.metrics.judges import describe
from zoo.metrics.superres import evaluate_upscaler
from zoo.metrics.superres import protocol as sr_protocol
from zoo.metrics.text_to_image import evaluate_text_to_image
from zoo.metrics.text_to_image import protocol as text_to_image_protocol
from zoo.metrics.translation import label_preservation, translate_all, translation_scores

IMAGE_DATASETS = ("mnist",)
TRANSLATION_DATASETS = ("edges2digits",)
#: unpaired translation datasets: the classifier domains of their A and B sides
UNPAIRED_DATASETS = {"mnist2font": ("mnist", "fonts")}
ANOMALY_DATASETS = ("mnist_oneclass",)
#: super-resolution training crops: models are scored on the held-out photos (zoo.metrics.superres)
SR_DATASETS = ("sr_crops",)
#: captioned scenes: text-to-image models get R-precision and attribute accuracy (zoo.metrics.text_to_image)
TEXT_DATASETS = ("shapes",)
MIXTURE_SAMPLES = 2500  # the VEEGAN/PacGAN protocol
FLOOR_DRAWS = 4


def dataset_name(data_spec: str | dict[str, Any]) -> str:
    """The dataset name of a spec (``"mnist"``, ``{"name": "mnist", "size": 28}``, ``"gaussians25"``)."""
    name = data_spec.get("name") if isinstance(data_spec, dict) else str(data_spec)
    known = [*IMAGE_DATASETS, *TRANSLATION_DATASETS, *UNPAIRED_DATASETS, *ANOMALY_DATASETS, *SR_DATASETS]
    known += list(TEXT_DATASETS)
    known += list(MIXTURES)
    if name not in known:
        known = ", ".join(known)
        raise ValueError(
            f"no quality metrics are defined for the dataset {data_spec!r}; they exist for: {known}"
        )
    return name


def default_n(data_spec: str | dict[str, Any]) -> int:
    """The sample count of the protocol: 2,500 for a 2-D mixture, 1,000 for digits (all test-split pairs)."""
    return MIXTURE_SAMPLES if dataset_name(data_spec) in MIXTURES else 1000


@functools.cache
def _real(name: str, split: str) -> tuple[torch.Tensor, tuple]:
    """Classifier features of a real split and their mean/covariance (cached per process).

    Built at the dataset's default size: the classifier sees every digit padded to 32x32 anyway.
    """
    feats, _ = features_and_labels(build_dataset(name, split).images)
    return feats, feature_stats(feats)


@functools.cache
def _floor(name: str, n: int, seed: int) -> float:
    """The real-vs-real floor: ``n`` train-split digits against the test split, averaged over disjoint draws.

    The train split is shuffled with ``seed`` and cut into up to ``FLOOR_DRAWS`` disjoint sets of ``n``:
    one draw of 1,000 digits varies by about ±30% from seed to seed, the mean of four much less.
    """
    train_feats, _ = _real(name, "train")
    draws = floor_draws(n, len(train_feats))
    order = torch.randperm(len(train_feats), generator=torch.Generator().manual_seed(seed))
    test_stats = _real(name, "test")[1]
    draws_fd = [
        frechet_from_stats(*feature_stats(train_feats[order[i * n : (i + 1) * n]]), *test_stats)
        for i in range(draws)
    ]
    return sum(draws_fd) / draws


def floor_draws(n: int, train_size: int) -> int:
    """How many disjoint train-split draws of ``n`` the floor averages (at least one)."""
    if n > train_size:
        raise ValueError(f"n={n} is more than the {train_size} train-split digits the floor is drawn from")
    return min(FLOOR_DRAWS, train_size // n)


@torch.no_grad()
def _generate(model: torch.nn.Module, n: int, seed: int) -> torch.Tensor:
    """``n`` samples from ``model`` in eval mode, leaving its train/eval mode as it was."""
    was_training = model.training
    model.eval()
    try:
        return model.generate(n, seed=seed).float().cpu()
    finally:
        model.train(was_training)


def evaluate(
    model: torch.nn.Module, data_spec: str | dict[str, Any], n: int | None = None, seed: int = 0
) -> dict[str, float]:
    """Quality metrics of ``model.generate(n, seed=seed)`` against ``data_spec`` (see the module doc).

    ``n`` defaults to 1,000 for digits and 2,500 for mixtures. Digits give ``fd``, ``fd_floor``,
    ``fd_ratio``, ``class_min``, ``class_max``, ``classifier_accuracy``, ``n``; mixtures give ``modes``,
    ``modes_total``, ``high_quality``, ``n``. Translation models (``edges2digits``) translate ``n``
    test-split inputs (all 1,000 by default, else a ``seed``-drawn subset) and give ``accuracy``, ``l1``,
    ``classifier_accuracy`` (on the real targets), ``input_accuracy`` (on the inputs), ``n``.
    Unpaired translation (``mnist2font``) translates ``n`` test-split digits of each domain both ways and
    gives ``zoo.metrics.translation.label_preservation``'s numbers and ``n``. Anomaly detectors
    (``mnist_oneclass``) give ``auroc``, ``tpr``, ``fpr`` (of the stored threshold) on ``n`` test-split
    digits (all 1,000 by default), ``n``, ``n_anomalous`` and ``validation_auroc``.
    """
    name = dataset_name(data_spec)
    n = default_n(data_spec) if n is None else n
    if n < 2:
        raise ValueError(f"evaluate needs n >= 2 samples, got {n}")
    if name in TRANSLATION_DATASETS:
        return _evaluate_translation(model, data_spec, n, seed)
    if name in UNPAIRED_DATASETS:
        return _evaluate_unpaired(model, data_spec, n, seed)
    if name in SR_DATASETS:
        return evaluate_upscaler(model)
    if name in TEXT_DATASETS:
        return evaluate_text_to_image(model, n, seed)
    if name in ANOMALY_DATASETS:
        test = evaluate_detector(model, build_dataset(data_spec, "test"), n, seed)
        validation = evaluate_detector(model, build_dataset(data_spec, "validation"))
        return {**test, "validation_auroc": validation["auroc"]}
    if name not in MIXTURES:
        floor_draws(n, len(build_dataset(name, "train")))  # fail before sampling when n is too large
    samples = _generate(model, n, seed)
    if name in MIXTURES:
        mixture = MIXTURES[name]
        modes, high_quality = mode_coverage(samples, mixture.means_tensor(), mixture.std)
        return {"modes": modes, "modes_total": len(mixture.means), "high_quality": high_quality, "n": n}
    feats, labels = features_and_labels(samples)
    fd = frechet_from_stats(*feature_stats(feats), *_real(name, "test")[1])
    floor = _floor(name, n, seed)
    shares = class_shares(labels)
    return {
        "fd": fd,
        "fd_floor": floor,
        "fd_ratio": fd / floor,
        "class_min": shares.min().item(),
        "class_max": shares.max().item(),
        "classifier_accuracy": record()["test_accuracy"],
        "n": n,
    }


def _evaluate_translation(
    model: torch.nn.Module, data_spec: str | dict[str, Any], n: int, seed: int
) -> dict[str, float]:
    """Translate ``n`` test-split inputs (all of them, or a ``seed``-drawn subset) and score the outputs."""
    pairs = build_dataset(data_spec, "test")
    if n > len(pairs):
        raise ValueError(f"n={n} is more than the {len(pairs)} test-split pairs of {data_spec!r}")
    chosen = torch.randperm(len(pairs), generator=torch.Generator().manual_seed(seed))[:n].sort().values
    items = [pairs[i] for i in chosen.tolist()]
    inputs, targets = (torch.stack([item[side] for item in items]) for side in "AB")
    labels = torch.stack([item["y"] for item in items])
    outputs = translate_all(model, inputs)
    return {**translation_scores(outputs, targets, labels, inputs), "n": n}


def _evaluate_unpaired(
    model: torch.nn.Module, data_spec: str | dict[str, Any], n: int, seed: int
) -> dict[str, float]:
    """Label preservation both ways on ``n`` test-split digits of each domain (all, or a seeded subset)."""
    data = build_dataset(data_spec, "test")
    sides = (data.a, data.b)
    if n > min(len(side) for side in sides):
        raise ValueError(
            f"n={n} is more than the test-split digits of {data_spec!r} ({len(data.a)}, {len(data.b)})"
        )
    gen = torch.Generator().manual_seed(seed)
    a, b = (_subset(side.images, side.labels, n, gen) for side in sides)
    return {**label_preservation(model, a, b, UNPAIRED_DATASETS[dataset_name(data_spec)]), "n": n}


def _subset(images: torch.Tensor, labels: torch.Tensor, n: int, gen: torch.Generator) -> tuple:
    """``n`` images and their labels drawn with ``gen``, in their original order."""
    idx = torch.randperm(len(labels), generator=gen)[:n].sort().values
    return images[idx], labels[idx]


def protocol(data_spec: str | dict[str, Any], n: int, seed: int) -> str:
    """The protocol behind ``evaluate``'s numbers, in words, for the registry and model cards."""
    name = dataset_name(data_spec)
    if name in TRANSLATION_DATASETS:
        total = len(build_dataset(data_spec, "test"))
        which = f"all {n}" if n == total else f"{n} (drawn with seed {seed}) of the {total}"
        return (
            f"{which} {name} test-split edge maps (Canny-like edges of mnist test digits, never trained on) "
            "translated by the model in eval mode; accuracy: share of outputs that each of two independent "
            f"mnist judges, {describe('mnist')}, labels as the source digit, reported per judge "
            "(accuracy_cnn, accuracy_lenet) and as the lower of the two (accuracy); l1: mean absolute "
            "difference to the target digit (pixels in [0, 1]); classifier_accuracy_*: the judges on the "
            "real target digits (the ceiling); input_accuracy_*: the judges on the untranslated edge maps "
            "(the do-nothing baseline); each unsuffixed figure is the lower judge's"
        )
    if name in UNPAIRED_DATASETS:
        domain_a, domain_b = UNPAIRED_DATASETS[name]
        which = "all 1000" if n == 1000 else f"{n} (drawn with seed {seed})"
        return (
            f"{which} test-split digits of each domain (mnist test digits; font digits rendered with the "
            "test split's jitter seed; never trained on) translated by the model in eval mode, each output "
            "read by two independent judges of its target domain (different architectures, training code, "
            f"seeds and, for the fonts, fonts): {domain_b} judges {describe(domain_b)}; {domain_a} judges "
            f"{describe(domain_a)}; accuracy_ab_<judge>: share of MNIST->font outputs that the judge labels "
            "as the source digit; accuracy_ba_<judge>: the same for font->MNIST outputs; input_accuracy_*: "
            "the judges on the untranslated inputs (the do-nothing baseline); classifier_accuracy_a/_b_*: "
            "the judges on real digits of their own domain (the ceiling); each unsuffixed figure is the "
            "lower judge's (the headline)"
        )
    if name in SR_DATASETS:
        return sr_protocol()
    if name in TEXT_DATASETS:
        return text_to_image_protocol(n, seed)
    if name in ANOMALY_DATASETS:
        which = "all 1000" if n == 1000 else f"{n} (drawn with seed {seed}) of the 1000"
        return (
            f"mnist_oneclass, digit {data_spec['anomaly']} held out as the anomaly: trained on the normal "
            "digits of zoo's MNIST train split minus a validation part (80 digits of each class, seed 1), "
            "whose 720 normal and 80 anomalous digits set the score's min-max constants and threshold "
            f"(Youden's J); auroc of the score on {which} test-split digits (100 of them anomalous), model "
            "in eval mode; tpr/fpr: the stored threshold on the same digits; validation_auroc: on the "
            "validation part"
        )
    if name in MIXTURES:
        mixture = MIXTURES[name]
        return (
            f"{n} samples (seed {seed}) of the {len(mixture.means)}-mode mixture {name} (std {mixture.std}): "
            "a sample is high quality within 3 std of its nearest mean; a mode is covered by at least one "
            "high-quality sample nearest to it (VEEGAN/PacGAN protocol)"
        )
    rec, reference = record(), len(build_dataset(name, "test"))
    draws = floor_draws(n, len(build_dataset(name, "train")))
    return (
        f"Frechet distance on the {FEATURE_DIM}-d penultimate features of the bundled digit classifier "
        f"(zoo/metrics/digit_classifier.safetensors, sha256 {rec['sha256'][:12]}, "
        f"{rec['test_accuracy']:.2%} accuracy on the mnist test split): {n} generated samples (seed {seed}) "
        f"vs the {reference} mnist test-split digits; floor: mean over {draws} disjoint draws of {n} "
        f"train-split digits (seed {seed}) vs the same test split; class shares: the classifier's argmax "
        "over the generated samples"
    )
