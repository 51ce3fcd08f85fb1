"""Quality of paired digit translation (``edges2digits``): is the output the right digit, and how close is it?

The test-split inputs are translated and the bundled digit classifier labels the outputs: ``accuracy``
is the share labelled as the source digit, ``l1`` the mean absolute difference to the target digit
(pixels in [0, 1]). Beside them: the classifier's accuracy on the real target digits (the ceiling a
perfect translation reaches) and on the untranslated inputs (the baseline of doing nothing).
"""

from __future__ import annotations

import torch

from zoo.metrics.classifier import features_and_labels


def digit_accuracy(images: torch.Tensor, labels: torch.Tensor) -> float:
    """Share of digit images that the bundled classifier labels as ``labels``."""
    return (features_and_labels(images)[1] == labels.cpu()).double().mean().item()


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


@torch.no_grad()
def translate_all(model: torch.nn.Module, inputs: torch.Tensor, batch_size: int = 250) -> torch.Tensor:
    """``model.translate`` over ``inputs`` in eval mode (no dropout), restoring its train/eval mode."""
    was_training = model.training
    model.eval()
    try:
        return torch.cat([model.translate(chunk).float().cpu() for chunk in inputs.split(batch_size)])
    finally:
        model.train(was_training)
