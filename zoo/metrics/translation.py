"""Quality of digit translation: is the output still the source's digit?

Every label is read by each judge of the target domain (``zoo.metrics.judges``: the bundled CNN and an
independent LeNet), and each figure is reported per judge (``<key>_cnn``, ``<key>_lenet``) and, as the
headline (``<key>``), the lower judge's reading of the translations (with that judge's baseline and
ceiling), so that no claim rests on one classifier's blind spots.

Paired (``edges2digits``): the test-split inputs are translated and the judges of MNIST label the outputs:
``accuracy`` is the share labelled as the source digit, ``l1`` the mean absolute difference to the target
digit (pixels in [0, 1]). Beside them: each judge's accuracy on the real target digits (the ceiling a
perfect translation reaches) and on the untranslated inputs (the baseline of doing nothing).

Unpaired (``mnist2font``): label preservation in each direction, graded by the judges of the target
domain, beside the same judges on the untranslated inputs and on real target-domain digits.
"""

from __future__ import annotations

import torch

from zoo.metrics.judges import JUDGES, judge_labels

Digits = tuple[torch.Tensor, torch.Tensor]  # (images (N, 1, H, W) in [0, 1], labels (N,))


def digit_accuracy(
    images: torch.Tensor, labels: torch.Tensor, domain: str = "mnist", judge: str = "cnn"
) -> float:
    """Share of digit images that ``judge`` of ``domain`` labels as ``labels``."""
    return (judge_labels(images, domain, judge) == labels.cpu()).double().mean().item()


def judged(domain: str, sets: dict[str, Digits]) -> dict[str, float]:
    """Each judge of ``domain`` on each named ``(images, labels)`` set, as ``<name>_<judge>``; unsuffixed,
    the headline judge's: the one that reads the first set lowest (the first of ``JUDGES`` on a tie), so
    that a translation's figure and its baseline and ceiling beside it come from one judge."""
    readings = {
        name: {judge: digit_accuracy(images, labels, domain, judge) for judge in JUDGES}
        for name, (images, labels) in sets.items()
    }
    first = readings[next(iter(sets))]
    headline = min(JUDGES, key=first.__getitem__)
    scores: dict[str, float] = {}
    for name, by_judge in readings.items():
        scores[name] = by_judge[headline]
        scores.update({f"{name}_{judge}": value for judge, value in by_judge.items()})
    return scores


def translation_scores(
    outputs: torch.Tensor, targets: torch.Tensor, labels: torch.Tensor, inputs: torch.Tensor
) -> dict[str, float]:
    """``accuracy`` and ``l1`` of translated digits; beside them, the classifier on targets and inputs."""
    if outputs.shape != targets.shape:
        raise ValueError(
            f"translated images {tuple(outputs.shape)} and targets {tuple(targets.shape)} differ in shape"
        )
    if not torch.isfinite(outputs).all():
        raise ValueError("translated images contain NaN or inf: the generator produced non-finite values")
    sets = {"accuracy": (outputs, labels), "classifier_accuracy": (targets, labels)}
    return {
        **judged("mnist", {**sets, "input_accuracy": (inputs, labels)}),
        "l1": (outputs.float().cpu() - targets.float().cpu()).abs().mean().item(),
    }


def label_preservation(
    model: torch.nn.Module, a: Digits, b: Digits, domains: tuple[str, str]
) -> dict[str, float]:
    """Share of A->B outputs that B's judges label as their source digit (``accuracy_ab``), and of
    B->A outputs by A's judges (``accuracy_ba``); the untranslated baselines (``input_accuracy_*``)
    and the judges on real digits of their own domain (``classifier_accuracy_a``/``_b``, the ceilings).
    Each per judge (``_cnn``, ``_lenet``) and, unsuffixed, by the judge that reads the translations lowest.

    ``a`` and ``b`` are ``(images, labels)`` of each domain; ``domains`` names their judges' domains."""
    (images_a, labels_a), (images_b, labels_b), (domain_a, domain_b) = a, b, domains
    fake_b = translate_all(model, images_a, direction="AtoB")
    fake_a = translate_all(model, images_b, direction="BtoA")
    for name, out in (("A->B", fake_b), ("B->A", fake_a)):
        if not torch.isfinite(out).all():
            raise ValueError(
                f"{name} translations contain NaN or inf: the generator produced non-finite values"
            )
    return {
        **judged(
            domain_b, {"accuracy_ab": (fake_b, labels_a), "input_accuracy_ab": a, "classifier_accuracy_b": b}
        ),
        **judged(
            domain_a, {"accuracy_ba": (fake_a, labels_b), "input_accuracy_ba": b, "classifier_accuracy_a": a}
        ),
    }


@torch.no_grad()
def translate_all(
    model: torch.nn.Module, inputs: torch.Tensor, batch_size: int = 250, **options: str
) -> torch.Tensor:
    """``model.translate`` (with ``options``, e.g. ``direction``) over ``inputs`` in eval mode (no
    dropout), restoring its train/eval mode."""
    was_training = model.training
    model.eval()
    try:
        return torch.cat(
            [model.translate(chunk, **options).float().cpu() for chunk in inputs.split(batch_size)]
        )
    finally:
        model.train(was_training)
