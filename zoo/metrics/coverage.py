"""Coverage metrics: the share of each digit class among samples, and modes of a 2-D mixture covered.

Mode coverage follows VEEGAN (Srivastava et al. 2017) and PacGAN (Lin et al. 2018): a sample is high
quality when it lies within 3 std of its nearest mean; a mode is covered when at least one high-quality
sample has it as its nearest mean.
"""

from __future__ import annotations

import torch


def class_shares(labels: torch.Tensor, num_classes: int = 10) -> torch.Tensor:
    """Share of each class among ``labels`` (a float64 ``(num_classes,)`` tensor summing to 1)."""
    if labels.numel() == 0:
        raise ValueError("class_shares needs at least one label")
    return torch.bincount(labels.flatten().long(), minlength=num_classes).double() / labels.numel()


def mode_coverage(
    points: torch.Tensor, means: torch.Tensor, std: float, threshold: float = 3.0
) -> tuple[int, float]:
    """``(modes covered, share of high-quality samples)`` of ``(N, 2)`` points for a mixture's means."""
    if points.dim() != 2 or points.shape[1] != means.shape[1]:
        raise ValueError(f"points must be (N, {means.shape[1]}), got shape {tuple(points.shape)}")
    if not torch.isfinite(points).all():
        raise ValueError("points contain NaN or inf: the generator produced non-finite values")
    dist = torch.cdist(points.double(), means.double())
    nearest_dist, nearest = dist.min(1)
    good = nearest_dist <= threshold * std
    return int(nearest[good].unique().numel()), good.double().mean().item()
