"""Quality of digit translation: is the output still the source's digit?

Paired (``edges2digits``): the test-split inputs are translated and the bundled digit classifier labels
the outputs: ``accuracy`` is the share labelled as the source digit, ``l1`` the mean absolute difference
to the target digit (pixels in [0, 1]). Beside them: the classifier's accuracy on the real target digits
(the ceiling a perfect translation reaches) and on the untranslated inputs (the baseline of doing nothing).

Unpaired (``mnist2font``): label preservation in each direction, graded by a classifier trained on the
target domain, beside the same classifier on the untranslated inputs and on real target-domain digits.
"""

from __future__ import annotations

import torch

from zoo.metrics.classifier import features_and_labels

Digits = tuple[torch.Tensor, torch.Tensor]  # (images (N, 1, H, W) in [0, 1], labels (N,))


def digit_accuracy(images: torch.Tensor, labels: torch.Tensor, domain: str = "mnist") -> float:
    """Share of digit images that ``domain``'s bundled classifier labels as ``labels``."""
    return (features_and_labels(images, domain=domain)[1] == labels.cpu()).double().mean().item()


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
    return {
        "accuracy": digit_accuracy(outputs, labels),
        "l1": (outputs.float().cpu() - targets.float().cpu()).abs().mean().item(),
        "classifier_accuracy": digit_accuracy(targets, labels),
        "input_accuracy": digit_accuracy(inputs, labels),
    }


def label_preservation(
    model: torch.nn.Module, a: Digits, b: Digits, domains: tuple[str, str]
) -> dict[str, float]:
    """Share of A->B outputs that B's classifier labels as their source digit (``accuracy_ab``), and of
    B->A outputs by A's classifier (``accuracy_ba``); the untranslated baselines (``input_accuracy_*``)
    and each classifier on real digits of its own domain (``classifier_accuracy_a``/``_b``, the ceilings).

    ``a`` and ``b`` are ``(images, labels)`` of each domain; ``domains`` names their classifiers."""
    (images_a, labels_a), (images_b, labels_b), (domain_a, domain_b) = a, b, domains
    fake_b = translate_all(model, images_a, direction="AtoB")
    fake_a = translate_all(model, images_b, direction="BtoA")
    for name, out in (("A->B", fake_b), ("B->A", fake_a)):
        if not torch.isfinite(out).all():
            raise ValueError(
                f"{name} translations contain NaN or inf: the generator produced non-finite values"
            )
    return {
        "accuracy_ab": digit_accuracy(fake_b, labels_a, domain_b),
        "accuracy_ba": digit_accuracy(fake_a, labels_b, domain_a),
        "input_accuracy_ab": digit_accuracy(images_a, labels_a, domain_b),
        "input_accuracy_ba": digit_accuracy(images_b, labels_b, domain_a),
        "classifier_accuracy_a": digit_accuracy(images_a, labels_a, domain_a),
        "classifier_accuracy_b": digit_accuracy(images_b, labels_b, domain_b),
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
