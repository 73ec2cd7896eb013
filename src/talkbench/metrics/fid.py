"""FID (pytorch-fid): ‖μ_r − μ_f‖² + Tr Σ_r + Tr Σ_f − 2 Tr sqrtm(Σ_r Σ_f) on Inception pool3 features.

State is float64 sufficient statistics per set (count, Σx, Σxxᵀ), so frames stream through in any
batch size and shards merge exactly. Σ is the unbiased covariance (np.cov, N−1). As in pytorch-fid,
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


class FeatureMoments:
    """float64 count, sum and outer-product sum of feature vectors."""

    def __init__(self) -> None:
        self.n = 0
        self.sum: np.ndarray | None = None
        self.outer: np.ndarray | None = None

    def add(self, feats: np.ndarray) -> None:
        x = np.asarray(feats, dtype=np.float64)
        if self.sum is None:
            self.sum = np.zeros(x.shape[1])
            self.outer = np.zeros((x.shape[1], x.shape[1]))
        self.n += len(x)
        self.sum += x.sum(axis=0)
        self.outer += x.T @ x

    def merge(self, other: "FeatureMoments") -> None:
        if other.sum is None:
            return
        if self.sum is None:
            self.sum, self.outer = np.zeros_like(other.sum), np.zeros_like(other.outer)
        self.n += other.n
        self.sum += other.sum
        self.outer += other.outer

    def mean_cov(self) -> tuple[np.ndarray, np.ndarray]:
        """Mean and unbiased covariance (needs n ≥ 2)."""
        mu = self.sum / self.n
        cov = (self.outer - self.n * np.outer(mu, mu)) / (self.n - 1)
        return mu, cov


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
        name="fid", version="1.0", higher_is_better=False, range=(0.0, None), unit="",
        kind=MetricKind.SET_LEVEL, inputs=("pred_frames", "real_frames"), preprocessing=INCEPTION_PREPROCESSING,
        backbone=inception_backbone(), aggregation="one value for the whole set of generated vs real frames",
        description="Fréchet Inception Distance between all generated frames and all real frames (the real set is "
        "the protocol's `real` option), pytorch-fid weights and preprocessing; float64 sufficient statistics.",
        references=("pytorch-fid 0.3.0 (mseitzer)", "Heusel et al. 2017"),
    )
    defaults: ClassVar[dict[str, Any]] = {"real": "gt", "eps": 1e-6}

    def reset(self) -> None:
        self.real_moments = FeatureMoments()
        self.fake_moments = FeatureMoments()

    def add_features(self, features: np.ndarray, real: bool) -> None:
        (self.real_moments if real else self.fake_moments).add(features)

    def merge(self, other) -> None:
        assert isinstance(other, FID) and other.options == self.options
        self.real_moments.merge(other.real_moments)
        self.fake_moments.merge(other.fake_moments)

    def compute(self) -> MetricValue:
        n_real, n_fake = self.real_moments.n, self.fake_moments.n
        extra = {"n_real": n_real, "n_fake": n_fake}
        if n_real < 2 or n_fake < 2:
            return MetricValue(self.name, None, n_fake, extra={**extra, "reason": "FID needs at least 2 frames per set"})
        mu_r, sig_r = self.real_moments.mean_cov()
        mu_f, sig_f = self.fake_moments.mean_cov()
        value = frechet_distance(mu_r, sig_r, mu_f, sig_f, float(self.options["eps"]))
        if min(n_real, n_fake) < len(mu_r):
            extra["warning"] = f"fewer frames than feature dimensions ({len(mu_r)}): covariance is rank-deficient, FID biased upward"
        return MetricValue(self.name, value, n_fake, extra=extra)
