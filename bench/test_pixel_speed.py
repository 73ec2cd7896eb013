"""SSIM speed: the separable float64 implementation vs scikit-image, side by side (ratio, not a timed assertion)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from talkbench.metrics import get_metric

skmetrics = pytest.importorskip("skimage.metrics")


@pytest.fixture(scope="module")
def batch():
    g = torch.Generator().manual_seed(0)
    gt = torch.rand(8, 3, 256, 256, generator=g, dtype=torch.float64)
    return (gt + 0.05 * torch.randn(gt.shape, generator=g, dtype=torch.float64)).clamp(0, 1), gt


@pytest.mark.benchmark(group="ssim-8x256")
def test_ssim_talkbench(benchmark, batch):
    m = get_metric("ssim")
    benchmark(lambda: m.score_frames(*batch, None))


@pytest.mark.benchmark(group="ssim-8x256")
def test_ssim_skimage(benchmark, batch):
    p, g = (x.permute(0, 2, 3, 1).numpy() for x in batch)
    benchmark(lambda: [skmetrics.structural_similarity(g[k], p[k], data_range=1.0, channel_axis=-1, gaussian_weights=True,
                                                       sigma=1.5, use_sample_covariance=False) for k in range(len(g))])
