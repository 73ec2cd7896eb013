"""FID: formula vs an independent scipy/numpy reference, self-distance 0, exact shard merge, eps retry,
pytorch-fid preprocessing, the runner entry point and missing weights."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from talkbench.errors import MissingWeightsError
from talkbench.metrics import fid as fid_module
from talkbench.nets.inception_fid import FIDInceptionV3
from talkbench.io.frameset import FrameSet
from talkbench.metrics.context import ItemContext
from talkbench.metrics.fid import FID, frechet_distance, mean_cov
from talkbench.metrics.registry import REGISTRY
from talkbench.analysis.stage import FrameAnalysis
from talkbench.nets.pool import POOL
from tests.checkpoint_manifests import manifest


def _features(rng, n, d=12, shift=0.0):
    a = rng.normal(size=(d, d)) / np.sqrt(d)
    return (rng.normal(size=(n, d)) @ a + shift).astype(np.float32).astype(np.float64)  # Inception gives float32


def _reference_fid(x: np.ndarray, y: np.ndarray) -> float:
    """Independent route: Tr sqrtm(Σ1Σ2) = Σ sqrt(eig(Σ1^½ Σ2 Σ1^½)) with symmetric eigendecompositions."""
    mu1, mu2 = x.mean(0), y.mean(0)
    s1, s2 = np.cov(x, rowvar=False), np.cov(y, rowvar=False)
    w, v = np.linalg.eigh(s1)
    root1 = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    tr_covmean = np.sqrt(np.clip(np.linalg.eigvalsh(root1 @ s2 @ root1), 0, None)).sum()
    return float(np.sum((mu1 - mu2) ** 2) + np.trace(s1) + np.trace(s2) - 2 * tr_covmean)


def _fid_from(real: np.ndarray, fake: np.ndarray, chunks: int = 1) -> FID:
    m = FID()
    for part in np.array_split(real, chunks):
        m.add_features(part, real=True)
    for part in np.array_split(fake, chunks):
        m.add_features(part, real=False)
    return m


def test_formula_matches_independent_reference(rng):
    real, fake = _features(rng, 80), _features(rng, 70, shift=0.3)
    got = _fid_from(real, fake).compute()
    assert got.value == pytest.approx(_reference_fid(real, fake), rel=1e-9, abs=1e-9)
    assert got.extra["n_real"] == 80 and got.n == 70


def test_moments_equal_numpy_mean_and_cov(rng):
    x = _features(rng, 40)
    mu, cov = mean_cov(x)
    assert np.allclose(mu, x.mean(0), atol=1e-12) and np.allclose(cov, np.cov(x, rowvar=False), atol=1e-12)


def test_feature_order_does_not_change_the_value(rng):
    real, fake = _features(rng, 50), _features(rng, 40, shift=0.2)
    perm = np.random.default_rng(1).permutation(50)
    assert _fid_from(real, fake, 3).compute().value == _fid_from(real[perm], fake[::-1], 5).compute().value


def test_set_against_itself_is_zero(rng):
    x = _features(rng, 100, d=16)
    assert abs(_fid_from(x, x.copy()).compute().value) <= 1e-6


def test_three_shards_merge_to_the_single_pass_value(rng):
    real, fake = _features(rng, 90), _features(rng, 60, shift=0.5)
    single = _fid_from(real, fake, chunks=3)
    shards = [_fid_from(r, f) for r, f in zip(np.array_split(real, 3), np.array_split(fake, 3))]
    merged = shards[0]
    for s in shards[1:]:
        merged.merge(s)
    real_rows, fake_rows = merged.feature_sets()
    assert len(real_rows) == 90 and len(fake_rows) == 60
    assert np.array_equal(real_rows, single.feature_sets()[0])
    assert merged.compute().value == single.compute().value


def test_batching_does_not_change_the_value(rng):
    real, fake = _features(rng, 64), _features(rng, 64, shift=0.1)
    assert _fid_from(real, fake, 1).compute().value == pytest.approx(_fid_from(real, fake, 7).compute().value, rel=1e-10)


def test_eps_retry_when_sqrtm_is_not_finite(monkeypatch):
    calls = []
    real_sqrtm = fid_module.linalg.sqrtm

    def flaky(a):
        calls.append(a.copy())
        return np.full_like(a, np.nan) if len(calls) == 1 else real_sqrtm(a)

    monkeypatch.setattr(fid_module.linalg, "sqrtm", flaky)
    s1, s2 = np.diag([1.0, 4.0]), np.diag([9.0, 1.0])
    value = frechet_distance(np.zeros(2), s1, np.ones(2), s2, eps=1e-6)
    assert np.allclose(calls[1], (s1 + 1e-6 * np.eye(2)) @ (s2 + 1e-6 * np.eye(2)))
    # diagonal case by hand: 2 + (1 + 4) + (9 + 1) − 2·(sqrt(9+) + sqrt(4+))
    assert value == pytest.approx(2 + 5 + 10 - 2 * (3 + 2), abs=1e-5)


def test_too_few_frames_gives_no_value(rng):
    m = FID()
    m.add_features(_features(rng, 1), real=True)
    m.add_features(_features(rng, 5), real=False)
    out = m.compute()
    assert out.value is None and "at least 2" in out.extra["reason"]


def test_pytorch_fid_preprocessing():
    x = torch.rand(1, 3, 299, 299)
    assert torch.equal(FIDInceptionV3.preprocess(x), 2 * x - 1)  # same size: no resampling
    y = FIDInceptionV3.preprocess(torch.full((2, 3, 40, 64), 0.25))
    assert y.shape == (2, 3, 299, 299) and torch.allclose(y, torch.full_like(y, -0.5))


def _frames(rng, n, h=40, w=48):
    return [rng.integers(0, 256, (h, w, 3), dtype=np.uint8) for _ in range(n)]


def test_update_item_adds_pred_as_fake_and_reference_as_real(rng):
    torch.manual_seed(0)
    net = FIDInceptionV3().eval()
    pred, gt, src = _frames(rng, 2), _frames(rng, 2), _frames(rng, 1)
    ctx = ItemContext("item0", pred=FrameSet(pred), gt=FrameSet(gt), source=FrameSet(src), analysis=FrameAnalysis(None))
    metric = FID(real="source")
    with POOL.injected("inception-v3-fid", net):
        score = metric.update_item(ctx)
    assert score.value is None and score.n_frames == 2 and score.extra["real_frames"] == 1
    with torch.no_grad():
        fake = net(FrameSet(pred).tensor()).double().numpy()
        real = net(FrameSet(src).tensor()).double().numpy()
    got_real, got_fake = metric.feature_sets()
    assert got_fake.shape == (2, 2048) and got_real.shape == (1, 2048)
    assert np.allclose(np.sort(got_fake.sum(0)), np.sort(fake.sum(0)), rtol=1e-6)
    assert np.allclose(got_real[0], real[0], rtol=1e-6)
    card = metric.instance_card
    assert card.backbone.weights_sha256 == "random-init-test" and card.options["real"] == "source"


def test_missing_official_weights_raise_for_the_runner(monkeypatch, tmp_path, rng):
    monkeypatch.setenv("TALKBENCH_HOME", str(tmp_path))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    ctx = ItemContext("item0", pred=FrameSet(_frames(rng, 2)), gt=FrameSet(_frames(rng, 2)), analysis=FrameAnalysis(None))
    with pytest.raises(MissingWeightsError) as exc:
        REGISTRY.create("fid").update_item(ctx)
    assert exc.value.reason.startswith("missing weights: pt_inception-2015-12-05-6726825d.pth (talkbench weights import")


def test_card_names_the_official_backbone():
    card = FID.card
    assert card.backbone.id == "inception-v3-fid" and not card.higher_is_better
    assert card.backbone.weights_sha256 == manifest("pt_inception-2015-12-05-6726825d")["sha256"]
    assert FID(real="driving").instance_card.options == {"real": "driving", "eps": 1e-6}
    with pytest.raises(ValueError, match="real must be one of"):
        FID(real="prediction")
