"""FID (pytorch-fid): ‖μ_r − μ_f‖² + Tr Σ_r + Tr Σ_f − 2 Tr sqrtm(Σ_r Σ_f) on Inception pool3 features.

State (declared, see metrics/base.py): the per-frame pool3 features of each set (float32, as the network
gives them), merged by concatenation; compute() reads them in a canonical row order and forms the mean
and the unbiased covariance (np.cov, N−1) in float64, so the value does not depend on batch size, item
order, shards or resume. As in pytorch-fid,
a non-finite sqrtm is retried with eps·I added to both covariances, and a complex result is accepted
only when its diagonal imaginary part is below 1e-3.
"""
from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from scipy import linalg

from .base import MetricValue
from .card import MetricCard, MetricKind
from .inception_set import INCEPTION_PREPROCESSING, InceptionSetMetric, inception_backbone


def mean_cov(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """float64 mean and unbiased covariance (np.cov, N−1) of N×D features (needs N ≥ 2)."""
    x = np.asarray(features, dtype=np.float64)
    return x.mean(axis=0), np.cov(x, rowvar=False)


def frechet_distance(mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray, eps: float = 1e-6) -> float:
    diff = mu1 - mu2
    covmean = linalg.sqrtm(sigma1 @ sigma2)
    if not np.isfinite(covmean).all():
        offset = np.eye(sigma1.shape[0]) * eps
        covmean = linalg.sqrtm((sigma1 + offset) @ (sigma2 + offset))
    if np.iscomplexobj(covmean):
        if not np.allclose(np.diagonal(covmean).imag, 0, atol=1e-3):
            raise ValueError(f"sqrtm has a large imaginary component {np.max(np.abs(covmean.imag)):.3g}")
        covmean = covmean.real
    return float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2.0 * np.trace(covmean))


class FID(InceptionSetMetric):
    card = MetricCard(
        name="fid", version="1.1", higher_is_better=False, range=(0.0, None), unit="",
        kind=MetricKind.SET_LEVEL, inputs=("pred_frames", "real_frames"), preprocessing=INCEPTION_PREPROCESSING,
        backbone=inception_backbone(), aggregation="one value for the whole set of generated vs real frames",
        description="Fréchet Inception Distance between all generated frames and all real frames (the real set is "
        "the protocol's `real` option), pytorch-fid weights and preprocessing. State: per-frame float32 pool3 features "
        "(merged by concatenation); mean and covariance in float64 at compute time, in a canonical frame order.",
        references=("pytorch-fid 0.3.0 (mseitzer)", "Heusel et al. 2017"),
    )
    defaults: ClassVar[dict[str, Any]] = {"real": "gt", "eps": 1e-6}

    def compute(self) -> MetricValue:
        real, fake = self.feature_sets()
        n_real, n_fake = len(real), len(fake)
        extra = {"n_real": n_real, "n_fake": n_fake}
        if n_real < 2 or n_fake < 2:
            return MetricValue(self.name, None, n_fake, extra={**extra, "reason": "FID needs at least 2 frames per set"})
        mu_r, sig_r = mean_cov(real)
        mu_f, sig_f = mean_cov(fake)
        value = frechet_distance(mu_r, sig_r, mu_f, sig_f, float(self.options["eps"]))
        if min(n_real, n_fake) < len(mu_r):
            extra["warning"] = f"fewer frames than feature dimensions ({len(mu_r)}): covariance is rank-deficient, FID biased upward"
        return MetricValue(self.name, value, n_fake, extra=extra)
