"""N×N score matrices: hand-computed summaries and the builder."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from talkbench.metrics import get_metric
from talkbench.metrics.multiview import build_score_matrix, ivv, nvs_quality, nvv, summarize_matrix, synthesis_quality

# T=2 frames, N=3 cameras
S = np.array([
    [[1, 2, 3], [4, 5, 6], [7, 8, 9]],
    [[0, 0, 0], [0, 0, 0], [3, 3, 6]],
], dtype=np.float64)


def test_hand_computed_2x3x3():
    # rows of S[0] all have population std sqrt(2/3); S[1] rows: 0, 0, sqrt(2)
    assert nvv(S) == pytest.approx((3 * math.sqrt(2 / 3) + math.sqrt(2)) / 6, abs=1e-12)
    # columns of S[0]: [1,4,7] etc. std sqrt(6); S[1] columns [0,0,3],[0,0,3],[0,0,6]: sqrt2, sqrt2, sqrt8
    assert ivv(S) == pytest.approx((3 * math.sqrt(6) + 2 * math.sqrt(2) + math.sqrt(8)) / 6, abs=1e-12)
    assert synthesis_quality(S) == pytest.approx(57 / 18, abs=1e-12)
    assert nvs_quality(S) == pytest.approx((30 + 6) / 12, abs=1e-12)


def test_registered_summaries_and_cards():
    for name, fn in [("nvv", nvv), ("ivv", ivv), ("synthesis_quality", synthesis_quality), ("nvs_quality", nvs_quality)]:
        m = get_metric(name, base="psnr")
        m.update(S[:1]); m.update(S[1:])
        assert m.compute().value == pytest.approx(fn(S), abs=1e-12)
    assert get_metric("nvv", base="psnr").instance_card.higher_is_better is False
    assert get_metric("synthesis_quality", base="psnr").instance_card.higher_is_better is True
    assert get_metric("synthesis_quality", base="l1").instance_card.higher_is_better is False
    assert "ddof=0" in get_metric("ivv").instance_card.aggregation


def test_builder_fills_S_from_callback():
    T, N = 2, 3
    gen = torch.Generator().manual_seed(0)
    gt = torch.rand(T, N, 3, 16, 16, generator=gen)
    noise = torch.rand(T, N, N, 1, 1, 1, generator=gen) * 0.2

    def render(t, i, j):  # a worse render for each (input, novel) pair
        return (gt[t, j] + noise[t, i, j]).clamp(0, 1)

    metric = get_metric("l1")
    S_ = build_score_matrix(render, gt, metric, T, N)
    for t in range(T):
        for i in range(N):
            for j in range(N):
                expect = (render(t, i, j).double() - gt[t, j].double()).abs().mean().item()
                assert S_[t, i, j] == pytest.approx(expect, abs=1e-12)
    assert set(summarize_matrix(S_)) == {"synthesis_quality", "nvs_quality", "nvv", "ivv"}


def test_bad_shapes_rejected():
    with pytest.raises(ValueError, match="T×N×N"):
        nvv(np.zeros((2, 3, 4)))
