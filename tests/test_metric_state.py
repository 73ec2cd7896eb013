"""Declared metric state, for EVERY registered metric: one pass == items → state_dict → codec → reload →
merge in shuffled order → compute. A metric whose accumulator is not declared loses data on this path,
and this test fails for it; a metric family without a feeder here fails too (add one)."""
from __future__ import annotations

import random
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from talkbench.analysis.stage import FrameAnalysis
from talkbench.io import state_codec
from talkbench.metrics.analysis_reader import AnalysisReader
from talkbench.nets.pool import POOL
from talkbench.metrics.base import PairedFrameMetric, StateError
from talkbench.metrics.face_pair import FacePairMetric
from talkbench.metrics.feature_sets import FeatureSetMetric
from talkbench.metrics.multiview import MatrixSummary
from talkbench.metrics.per_video import PerVideoMetric
from talkbench.metrics.region import RegionMetric
from talkbench.metrics.registry import REGISTRY, get_metric

N_ITEMS = 5


def _feed_paired(metric, rng):
    n, size = int(rng.integers(1, 4)), 64 if metric.name.startswith("lpips") else 16
    pred = torch.from_numpy(rng.random((n, 3, size, size)))
    gt = torch.from_numpy(rng.random((n, 3, size, size)))
    masked = metric.options.get("region", "full") != "full"
    mask = torch.from_numpy((rng.random((n, 1, size, size)) > 0.3).astype(np.float64)) if masked else None
    metric.update(pred, gt, mask)


def _feed_face(metric, rng):
    n = int(rng.integers(1, 4))
    values = rng.random(n).tolist()
    missing = [(f"frame_{k}", "no face detected (test)") for k in range(int(rng.integers(0, 2)))]
    metric.score_pairs = lambda analysis, pred, ref, names=None: (values, missing)  # the analysis is not under test here
    metric.update([np.zeros((4, 4, 3), np.uint8)] * n, [np.zeros((4, 4, 3), np.uint8)] * n)


def _feed_features(metric, rng):
    metric.add_features(rng.normal(size=(int(rng.integers(1, 4)), 8)), real=True)
    metric.add_features(rng.normal(size=(int(rng.integers(1, 4)), 8)) + 0.3, real=False)


def _feed_video(metric, rng):
    metric.update(SimpleNamespace(**{metric.field: float(rng.normal())}) if rng.random() > 0.2 else "no audio track (test)")


def _feed_matrix(metric, rng):
    metric.update(rng.random((int(rng.integers(1, 3)), 3, 3)) * 30)


def _feed_region(metric, rng):
    n = int(rng.integers(1, 3))
    pred, gt = torch.from_numpy(rng.random((n, 3, 48, 48))), torch.from_numpy(rng.random((n, 3, 48, 48)))
    metric._missing.extend([(f"frame_{k}", "reference frame: no face detected (test)") for k in range(int(rng.integers(0, 2)))])
    metric.update(pred, gt, [(24.0, 24.0, 20.0, 16.0)] * n, _ANALYSIS)


# most specific first
FEEDERS = ((RegionMetric, _feed_region), (FacePairMetric, _feed_face), (FeatureSetMetric, _feed_features), (MatrixSummary, _feed_matrix),
           (PerVideoMetric, _feed_video), (PairedFrameMetric, _feed_paired))


@pytest.fixture(scope="module", autouse=True)
def random_lpips():
    """Random-init LPIPS networks for the pool (no weight files here); their records stay in one in-memory analysis."""
    from talkbench.nets.lpips import LPIPSNetwork

    torch.manual_seed(0)
    with POOL.injected("lpips-alex-v0.1", LPIPSNetwork("alex")), POOL.injected("lpips-vgg-v0.1", LPIPSNetwork("vgg")):
        yield


_ANALYSIS = FrameAnalysis(None)


def _make(name):
    metric = get_metric(name)
    if isinstance(metric, AnalysisReader):
        metric.use_analysis(_ANALYSIS)
    return metric


def _feeder(metric):
    for cls, feed in FEEDERS:
        if isinstance(metric, cls):
            return feed
    pytest.fail(f"no feeder for {type(metric).__name__}: add one to FEEDERS so its declared state is checked")


def _comparable(value):
    return value.value, value.n, {k: v for k, v in value.extra.items() if k != "per_item"}


@pytest.mark.parametrize("name", REGISTRY.names())
def test_split_save_reload_merge_equals_one_pass(name):
    one_pass = _make(name)
    feed = _feeder(one_pass)
    items = []
    for i in range(N_ITEMS):
        item = _make(name)
        feed(item, np.random.default_rng(i))
        feed(one_pass, np.random.default_rng(i))
        items.append(state_codec.dumps(item.state_dict()))
    random.Random(7).shuffle(items)
    merged = _make(name)
    for blob in items:
        part = _make(name)
        part.load_state_dict(state_codec.loads(blob))
        merged.merge(part)
    expected = one_pass.compute()
    assert expected.n > 0 or expected.value is None
    assert _comparable(merged.compute()) == _comparable(expected)
    assert sorted(merged.compute().per_item) == sorted(expected.per_item)


def test_a_state_with_a_dropped_field_is_refused():
    m = get_metric("fid")
    state = m.state_dict()
    del state["fields"]["_fake"]
    with pytest.raises(StateError, match="_fake"):
        get_metric("fid").load_state_dict(state)


def test_a_state_of_another_version_or_options_is_refused():
    state = get_metric("kid").state_dict()
    with pytest.raises(StateError, match="options"):
        get_metric("kid", subset_size=50).load_state_dict(state)
    state["version"] = "0.9"
    with pytest.raises(StateError, match="v0.9"):
        get_metric("kid").load_state_dict(state)
    with pytest.raises(StateError, match="psnr"):
        get_metric("fid").load_state_dict({**get_metric("psnr").state_dict()})


def test_merging_other_options_is_refused():
    with pytest.raises(StateError):
        get_metric("kid").merge(get_metric("kid", seed=1))
