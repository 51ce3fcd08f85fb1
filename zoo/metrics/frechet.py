"""The Fréchet distance between two sets of features (Heusel et al. 2017), computed in float64.

``d² = |μ₁ − μ₂|² + tr Σ₁ + tr Σ₂ − 2 tr (Σ₁^½ Σ₂ Σ₁^½)^½``. The trace of the matrix square root is
taken from the eigenvalues of the symmetric matrix ``Σ₁^½ Σ₂ Σ₁^½`` (clipped at zero), which is
stable for the rank-deficient covariances of small samples, unlike a general ``sqrtm`` of ``Σ₁Σ₂``.
"""

from __future__ import annotations

import numpy as np
import torch


def feature_stats(features: torch.Tensor | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean ``(D,)`` and unbiased covariance ``(D, D)`` of ``(N, D)`` features, in float64."""
    x = (
        features.detach().cpu().double().numpy()
        if isinstance(features, torch.Tensor)
        else np.asarray(features)
    )
    if x.ndim != 2 or x.shape[0] < 2:
        raise ValueError(f"features must be an (N, D) array with N >= 2, got shape {x.shape}")
    if not np.isfinite(x).all():
        raise ValueError(
            "features contain NaN or inf: the samples (or the network) produced non-finite values"
        )
    x = x.astype(np.float64)
    return x.mean(0), np.cov(x, rowvar=False)


def _sqrt_psd(a: np.ndarray) -> np.ndarray:
    """Square root of a symmetric positive semi-definite matrix (negative round-off eigenvalues -> 0)."""
    w, v = np.linalg.eigh((a + a.T) / 2)
    return (v * np.sqrt(np.clip(w, 0, None))) @ v.T


def frechet_from_stats(mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray) -> float:
    """The squared Fréchet distance between Gaussians ``N(mu1, sigma1)`` and ``N(mu2, sigma2)``."""
    if mu1.shape != mu2.shape or sigma1.shape != sigma2.shape:
        raise ValueError(f"feature sizes differ: {mu1.shape} vs {mu2.shape}")
    root1 = _sqrt_psd(sigma1)
    cross = np.linalg.eigvalsh(root1 @ sigma2 @ root1)
    covmean_trace = np.sqrt(np.clip(cross, 0, None)).sum()
    diff = mu1 - mu2
    d2 = diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2 * covmean_trace
    return float(max(d2, 0.0))


def frechet_distance(a: torch.Tensor | np.ndarray, b: torch.Tensor | np.ndarray) -> float:
    """The squared Fréchet distance between the Gaussians fitted to two ``(N, D)`` feature sets."""
    return frechet_from_stats(*feature_stats(a), *feature_stats(b))
