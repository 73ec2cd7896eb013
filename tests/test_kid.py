"""KID: the unbiased polynomial-kernel MMD² against a hand loop, subsets seeded, shards merge."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from talkbench.metrics.kid import KID, mmd2_unbiased


def _hand_mmd2(x, y):
    d = x.shape[1]
    k = lambda a, b: (float(np.dot(a, b)) / d + 1.0) ** 3  # noqa: E731
    m = len(x)
    xx = sum(k(x[i], x[j]) for i, j in itertools.permutations(range(m), 2)) / (m * (m - 1))
    yy = sum(k(y[i], y[j]) for i, j in itertools.permutations(range(m), 2)) / (m * (m - 1))
    xy = sum(k(x[i], y[j]) for i in range(m) for j in range(m)) / (m * m)
    return xx + yy - 2 * xy


def _kid(real, fake, **opts):
    m = KID(**opts)
    m.add_features(real, real=True)
    m.add_features(fake, real=False)
    return m


def test_mmd2_matches_hand_loop(rng):
    x, y = rng.normal(size=(7, 5)), rng.normal(size=(7, 5)) + 0.4
    assert mmd2_unbiased(x, y) == pytest.approx(_hand_mmd2(x, y), rel=1e-12)


def test_single_full_subset_equals_the_full_set_mmd(rng):
    f32 = lambda a: a.astype(np.float32).astype(np.float64)  # noqa: E731  features are stored as Inception gives them
    real, fake = f32(rng.normal(size=(9, 4))), f32(rng.normal(size=(9, 4)) * 1.5)
    out = _kid(real, fake, num_subsets=1, subset_size=100).compute()
    assert out.extra["subset_size_used"] == 9
    assert out.value == pytest.approx(_hand_mmd2(fake, real), rel=1e-10)  # order within a set does not matter


def test_same_distribution_is_near_zero_and_shift_is_positive(rng):
    real, same, shifted = rng.normal(size=(200, 8)), rng.normal(size=(200, 8)), rng.normal(size=(200, 8)) + 1.0
    near = _kid(real, same, num_subsets=20, subset_size=100).compute().value
    far = _kid(real, shifted, num_subsets=20, subset_size=100).compute().value
    assert abs(near) < 0.02 < far


def test_subsets_are_seeded(rng):
    real, fake = rng.normal(size=(50, 6)), rng.normal(size=(50, 6)) + 0.2
    a = _kid(real, fake, num_subsets=5, subset_size=10, seed=3).compute().value
    b = _kid(real, fake, num_subsets=5, subset_size=10, seed=3).compute().value
    c = _kid(real, fake, num_subsets=5, subset_size=10, seed=4).compute().value
    assert a == b and a != c


def test_shards_merge_to_single_pass(rng):
    real, fake = rng.normal(size=(30, 6)), rng.normal(size=(30, 6)) + 0.3
    opts = dict(num_subsets=4, subset_size=12)
    merged = _kid(real[:10], fake[:10], **opts)
    for sl in (slice(10, 20), slice(20, 30)):
        merged.merge(_kid(real[sl], fake[sl], **opts))
    single = KID(**opts)
    for sl in (slice(0, 10), slice(10, 20), slice(20, 30)):
        single.add_features(real[sl], real=True)
        single.add_features(fake[sl], real=False)
    assert merged.compute().value == single.compute().value


def test_too_few_frames(rng):
    out = _kid(rng.normal(size=(1, 3)), rng.normal(size=(4, 3))).compute()
    assert out.value is None and "at least 2" in out.extra["reason"]


def test_value_does_not_depend_on_feature_order(rng):
    real, fake = rng.normal(size=(30, 6)), rng.normal(size=(25, 6)) + 0.2
    opts = dict(num_subsets=5, subset_size=10, seed=3)
    perm = np.random.default_rng(2).permutation(30)
    assert _kid(real, fake, **opts).compute().value == _kid(real[perm], fake[::-1], **opts).compute().value
