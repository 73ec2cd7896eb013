"""Similarity fits, mesh-guided warps and the simple baselines, on hand-made inputs."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from talkbench.geometry import Similarity2D, rotation_from_euler
from talkbench.baselines.meshwarp import warp
from talkbench.baselines.simple import GTOracle, InputView, SourceCopy
from talkbench.errors import InputError
from talkbench.models.registry import create_model, model_rows


def test_similarity_fit_recovers_a_known_transform(rng):
    truth = Similarity2D(1.3, 0.4, (5.0, -2.0))
    pts = rng.uniform(-50, 50, (30, 2))
    fit = Similarity2D.fit(pts, truth(pts))
    assert fit.scale == pytest.approx(1.3) and fit.angle == pytest.approx(0.4)
    np.testing.assert_allclose(fit.shift, (5.0, -2.0), atol=1e-9)
    np.testing.assert_allclose(truth.inverse()(truth(pts)), pts, atol=1e-9)
    other = Similarity2D.about(np.array([3.0, 4.0]), 0.5, -1.0, (1.0, 1.0))
    np.testing.assert_allclose(truth.then(other)(pts), other(truth(pts)), atol=1e-9)
    # about(): the centre only moves by the shift
    np.testing.assert_allclose(other(np.array([[3.0, 4.0]])), [[4.0, 5.0]], atol=1e-12)


def test_rotation_is_orthonormal_and_yaw_turns_x_towards_z():
    R = rotation_from_euler(0.1, 0.2, 0.3)
    np.testing.assert_allclose(R @ R.T, np.eye(3), atol=1e-12)
    assert np.linalg.det(R) == pytest.approx(1.0)
    np.testing.assert_allclose(rotation_from_euler(0, math.pi / 2, 0) @ [1, 0, 0], [0, 0, -1], atol=1e-12)


def test_warp_with_unmoved_points_is_the_identity_and_a_shift_moves_the_image(rng):
    H = W = 16
    img = torch.from_numpy(rng.uniform(0, 1, (1, 3, H, W))).float()
    pts = np.array([[-0.5, -0.5], [W - 0.5, -0.5], [W - 0.5, H - 0.5], [-0.5, H - 0.5]])
    tris = np.array([[0, 1, 2], [0, 2, 3]])
    same = warp(img, pts, pts[None], np.zeros((1, 4)), tris)
    assert torch.allclose(same, img, atol=1e-5)
    # destination points moved 3 px to the right: output column c shows source column c - 3
    shifted = warp(img, pts, (pts + [3.0, 0.0])[None], np.zeros((1, 4)), tris)
    assert torch.allclose(shifted[..., 3:], img[..., :W - 3], atol=1e-5)


def test_simple_baselines_return_what_they_promise(rng):
    src = rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)
    drv = [rng.integers(0, 256, (8, 8, 3), dtype=np.uint8) for _ in range(3)]
    sc = SourceCopy()
    out = sc.animate(sc.prepare([src]), driving=drv)
    assert len(out) == 3 and all(np.array_equal(o, src) for o in out)
    out = sc.animate(sc.prepare([src]), gt=drv[:2])  # audio-only items: one frame per GT frame
    assert len(out) == 2
    gt = GTOracle()
    assert all(np.array_equal(a, b) for a, b in zip(gt.animate(gt.prepare([src]), driving=drv, gt=drv), drv))
    with pytest.raises(InputError, match="ground truth"):
        gt.animate(None, driving=drv)
    iv = InputView()
    assert len(iv.animate(iv.prepare([src]), cameras=[object()] * 5)) == 5
    with pytest.raises(InputError):
        iv.animate(iv.prepare([src]))


def test_baselines_are_registered():
    names = {r["name"] for r in model_rows()}
    assert {"source-copy", "gt-oracle", "landmark-warp", "input-view"} <= names
    assert type(create_model("landmark-warp")).__name__ == "LandmarkWarp"
