"""Anomaly-detection metrics: AUROC of scores against 0/1 labels, and a threshold chosen on a ROC curve.

Labels are 1 for anomalous and 0 for normal samples; a higher score means more anomalous. Both use
scikit-learn (a dependency of mlxtend, hence of gan-zoo), imported on use.
"""

from __future__ import annotations

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
