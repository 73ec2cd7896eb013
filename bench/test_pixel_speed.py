"""SSIM and PSNR on 8 frames of 512² RGB vs scikit-image on the same float64 frames (one thread each).

Goal (issue 17): SSIM ≥ 10× faster than scikit-image at ≤ 1e-6 agreement (checked here too)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from talkbench.metrics import get_metric

skmetrics = pytest.importorskip("skimage.metrics")

SSIM_GAUSS = dict(gaussian_weights=True, sigma=1.5, use_sample_covariance=False)


@pytest.fixture(scope="module")
def frames():
    torch.set_num_threads(1)  # scikit-image is single-threaded: compare like with like
    g = torch.Generator().manual_seed(0)
    gt = torch.rand(8, 3, 512, 512, generator=g, dtype=torch.float64)
    pred = (gt + 0.05 * torch.randn(gt.shape, generator=g, dtype=torch.float64)).clamp(0, 1)
    hwc = tuple(np.ascontiguousarray(x.permute(0, 2, 3, 1).numpy()) for x in (pred, gt))
    return pred, gt, hwc


@pytest.mark.parametrize("window", ["gaussian11", "uniform7"])
def test_ssim_vs_scikit_image(benchmark, record_ratio, frames, window):
    pred, gt, (p, g) = frames
    metric = get_metric("ssim", window=window)
    kw = SSIM_GAUSS if window == "gaussian11" else {}

    def ours():
        return metric.score_frames(pred, gt, None)

    def skimage():
        return [skmetrics.structural_similarity(g[k], p[k], data_range=1.0, channel_axis=-1, **kw) for k in range(len(g))]

    assert np.abs(ours().numpy() - np.array(skimage())).max() <= 1e-6
    row = record_ratio(f"ssim {window}, 8×512² RGB", "talkbench ssim", "skimage structural_similarity", ours, skimage,
                       goal=10 if window == "gaussian11" else None)
    benchmark.pedantic(ours, rounds=5, iterations=1, warmup_rounds=1)
    if row.goal:
        assert row.speedup >= row.goal, f"ssim only {row.speedup:.1f}× faster than scikit-image"


def test_psnr_vs_scikit_image(benchmark, record_ratio, frames):
    pred, gt, (p, g) = frames
    metric = get_metric("psnr")

    def ours():
        return metric.score_frames(pred, gt, None)

    def skimage():
        return [skmetrics.peak_signal_noise_ratio(g[k], p[k], data_range=1.0) for k in range(len(g))]

    assert np.abs(ours().numpy() - np.array(skimage())).max() <= 1e-6
    record_ratio("psnr, 8×512² RGB", "talkbench psnr", "skimage peak_signal_noise_ratio", ours, skimage, rounds=9)
    benchmark.pedantic(ours, rounds=9, iterations=1, warmup_rounds=1)
