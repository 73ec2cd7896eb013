"""KID: unbiased MMD² with the cubic polynomial kernel k(x, y) = (xᵀy / d + 1)³ on Inception pool3 features.

Averaged over `num_subsets` random subsets of `subset_size` frames from each set (drawn without
replacement with a seeded generator), as in Bińkowski et al. and the StyleGAN2-ADA / clean-fid code.
State: per-frame float32 features (declared in InceptionSetMetric), merged by concatenation; subsets are
drawn from the features in a canonical order, so the value does not depend on item or shard order.
"""
from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from .base import MetricValue
from .card import MetricCard, MetricKind
from .inception_set import INCEPTION_PREPROCESSING, InceptionSetMetric, inception_backbone


def polynomial_kernel(x: np.ndarray, y: np.ndarray, degree: int = 3, coef0: float = 1.0) -> np.ndarray:
    return (x @ y.T / x.shape[1] + coef0) ** degree


def mmd2_unbiased(x: np.ndarray, y: np.ndarray, degree: int = 3, coef0: float = 1.0) -> float:
    """Unbiased MMD² of two equal-size samples: off-diagonal means of Kxx and Kyy minus twice the mean of Kxy."""
    m = len(x)
    kxx, kyy, kxy = (polynomial_kernel(a, b, degree, coef0) for a, b in ((x, x), (y, y), (x, y)))
    within = (kxx.sum() - np.trace(kxx) + kyy.sum() - np.trace(kyy)) / (m * (m - 1))
    return float(within - 2.0 * kxy.sum() / (m * m))


class KID(InceptionSetMetric):
    card = MetricCard(
        name="kid", version="1.1", higher_is_better=False, range=(None, None), unit="",
        kind=MetricKind.SET_LEVEL, inputs=("pred_frames", "real_frames"), preprocessing=INCEPTION_PREPROCESSING,
        backbone=inception_backbone(), aggregation="mean of unbiased MMD² over seeded random subsets",
        description="Kernel Inception Distance: unbiased MMD² with kernel (xᵀy/d + 1)³ between generated and real "
        "frames' Inception pool3 features, averaged over subsets (can be slightly negative).",
        references=("Bińkowski et al. 2018, Demystifying MMD GANs",),
    )
    defaults: ClassVar[dict[str, Any]] = {"real": "gt", "num_subsets": 100, "subset_size": 1000, "seed": 0}

    def validate_options(self) -> None:
        super().validate_options()
        if int(self.options["num_subsets"]) < 1 or int(self.options["subset_size"]) < 2:
            raise ValueError("KID needs num_subsets ≥ 1 and subset_size ≥ 2")

    def compute(self) -> MetricValue:
        real, fake = self.feature_sets()
        extra: dict[str, Any] = {"n_real": len(real), "n_fake": len(fake)}
        m = min(len(real), len(fake), int(self.options["subset_size"]))
        if m < 2:
            return MetricValue(self.name, None, len(fake), extra={**extra, "reason": "KID needs at least 2 frames per set"})
        rng = np.random.default_rng(int(self.options["seed"]))
        values = np.array([
            mmd2_unbiased(fake[rng.choice(len(fake), m, replace=False)], real[rng.choice(len(real), m, replace=False)])
            for _ in range(int(self.options["num_subsets"]))
        ])
        extra.update({"subset_size_used": m, "std": float(values.std())})
        return MetricValue(self.name, float(values.mean()), len(fake), extra=extra)
