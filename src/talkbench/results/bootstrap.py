"""Percentile bootstrap confidence intervals over items, seeded and deterministic."""
from __future__ import annotations

import numpy as np

DEFAULT_RESAMPLES = 1000
DEFAULT_SEED = 0


def bootstrap_ci(values, n_resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED,
                 level: float = 0.95, weights=None) -> tuple[float, float] | None:
    """95% CI of the mean by resampling items with replacement; None when undefined (n < 2 or non-finite).

    With ``weights`` (e.g. frames per clip) each resample's statistic is the weighted mean, so the
    interval is centred on a pooled per-frame mean while items (clips) stay the resampling unit.
    """
    v = np.asarray(values, dtype=np.float64).reshape(-1)
    if v.size < 2 or not np.all(np.isfinite(v)):
        return None
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, v.size, size=(n_resamples, v.size))
    if weights is None:
        means = v[idx].mean(axis=1)
    else:
        w = np.asarray(weights, dtype=np.float64).reshape(-1)
        means = (v[idx] * w[idx]).sum(axis=1) / w[idx].sum(axis=1)
    lo, hi = np.quantile(means, [(1 - level) / 2, 1 - (1 - level) / 2])
    return float(lo), float(hi)


def bootstrap_diff_ci(base, new, n_resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED,
                      level: float = 0.95) -> tuple[float, float] | None:
    """CI of mean(new) − mean(base); paired when both have the same length (same items), unpaired otherwise."""
    a = np.asarray(base, dtype=np.float64).reshape(-1)
    b = np.asarray(new, dtype=np.float64).reshape(-1)
    if a.size < 2 or b.size < 2 or not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        return None
    rng = np.random.default_rng(seed)
    if a.size == b.size:
        idx = rng.integers(0, a.size, size=(n_resamples, a.size))
        diffs = b[idx].mean(axis=1) - a[idx].mean(axis=1)
    else:
        diffs = (b[rng.integers(0, b.size, size=(n_resamples, b.size))].mean(axis=1)
                 - a[rng.integers(0, a.size, size=(n_resamples, a.size))].mean(axis=1))
    lo, hi = np.quantile(diffs, [(1 - level) / 2, 1 - (1 - level) / 2])
    return float(lo), float(hi)
