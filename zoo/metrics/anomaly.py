"""Anomaly-detection metrics: AUROC of scores against 0/1 labels, and a threshold chosen on a ROC curve.

Labels are 1 for anomalous and 0 for normal samples; a higher score means more anomalous. AUROC and the
ROC curve come from scikit-learn (a declared dependency), imported on use.
``evaluate_detector`` measures a ``score`` model (``score(images)``, ``is_anomaly(images)``) on labelled data.
"""

from __future__ import annotations

from typing import Any

import torch


def _check(scores: torch.Tensor, labels: torch.Tensor) -> tuple:
    scores = torch.as_tensor(scores).detach().double().cpu().flatten()
    labels = torch.as_tensor(labels).detach().long().cpu().flatten()
    if scores.shape != labels.shape:
        raise ValueError(f"{len(scores)} scores but {len(labels)} labels: give one label per score")
    if not torch.isfinite(scores).all():
        raise ValueError("anomaly scores contain NaN or inf: the model produced non-finite values")
    if not set(labels.unique().tolist()) == {0, 1}:
        raise ValueError(
            "AUROC and thresholds need both normal (0) and anomalous (1) samples, got labels "
            f"{sorted(labels.unique().tolist())}"
        )
    return scores.numpy(), labels.numpy()


def auroc(scores: torch.Tensor, labels: torch.Tensor) -> float:
    """Area under the ROC curve: the probability that an anomaly scores above a normal sample."""
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(*reversed(_check(scores, labels))))


def youden_threshold(scores: torch.Tensor, labels: torch.Tensor) -> float:
    """The score threshold maximising TPR - FPR (Youden's J) on the ROC curve; ``score >= t`` is anomalous.

    J weighs missed anomalies and false alarms by their rates, so it does not drift with how many
    anomalies the validation data holds.
    """
    from sklearn.metrics import roc_curve

    s, y = _check(scores, labels)
    fpr, tpr, thresholds = roc_curve(y, s)
    best = int((tpr - fpr).argmax())
    return float(min(thresholds[best], s.max()))  # roc_curve's first threshold is +inf


@torch.no_grad()
def evaluate_detector(model: torch.nn.Module, dataset: Any, n: int | None = None, seed: int = 0) -> dict:
    """``auroc`` of ``model.score`` on a labelled dataset (all items, or ``n`` drawn with ``seed``), and the
    ``tpr``/``fpr`` of ``model.is_anomaly`` (the model's stored threshold) there."""
    total = len(dataset)
    if n is not None and n > total:
        raise ValueError(f"n={n} is more than the {total} labelled samples")
    order = torch.randperm(total, generator=torch.Generator().manual_seed(seed))[: n or total].sort().values
    items = [dataset[i] for i in order.tolist()]
    images = torch.stack([item["x"] for item in items])
    labels = torch.stack([torch.as_tensor(item["y"]) for item in items]).long()
    flagged = model.is_anomaly(images).cpu()
    return {
        "auroc": auroc(model.score(images), labels),
        "tpr": flagged[labels == 1].double().mean().item(),
        "fpr": flagged[labels == 0].double().mean().item(),
        "n": len(labels),
        "n_anomalous": int(labels.sum()),
    }
