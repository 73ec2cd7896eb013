"""Temporal metrics on constructed series with known answers (identity swap, frozen head, one blink of known
length, a mouth moving in silence, injected flicker of known amplitude) and their invariances."""
from __future__ import annotations

import math

import numpy as np
import pytest

from talkbench.analysis.records import FrameRecord
from talkbench.analysis.stage import FrameAnalysis
from talkbench.io.frameset import FrameSet
from talkbench.metrics.blink import blinks_per_minute, count_blinks, eye_aspect_ratio
from talkbench.metrics.context import ItemContext
from talkbench.metrics.flicker import clip_flicker
from talkbench.metrics.registry import get_metric
from talkbench.metrics.silent_lip import silent_motion


class StubAnalysis:
    """Records chosen by the test, per FrameSet (the analysis stage itself is tested elsewhere)."""

    def __init__(self, by_frames: dict[int, list[dict | None]], clip: dict | None = None):
        self.by_frames, self.clip = by_frames, clip

    def run(self, name, frames):
        return [FrameRecord(value=v) if v is not None else FrameRecord.missing_because("no face detected (stub)")
                for v in self.by_frames[id(frames)]]

    def run_clip(self, name, clip, **options):
        return FrameRecord(value=self.clip)


def _ctx(pred_values, ref_values=None, clip=None, n=None, fps=25.0):
    n = n or len(pred_values)
    pred = FrameSet([np.zeros((8, 8, 3), np.uint8)] * n)
    ref = FrameSet([np.zeros((8, 8, 3), np.uint8)] * n) if ref_values is not None else None
    by = {id(pred): pred_values, **({id(ref): ref_values} if ref is not None else {})}
    return ItemContext("item", pred=pred, driving=ref, gt=ref, fps=fps, audio="unused.wav",
                       analysis=StubAnalysis(by, clip))


def _score(name, ctx, **options):
    m = get_metric(name, **options)
    return m.update_item(ctx), m


# -- identity -------------------------------------------------------------------------------------
E1, E2 = np.eye(4)[0] * 3.0, np.eye(4)[1] * 0.5  # orthogonal identities; embedding norms do not matter


def test_identity_that_swaps_halfway():
    recs = [{"embedding": E1}] * 4 + [{"embedding": E2}] * 4
    score, _ = _score("identity_consistency", _ctx(recs))
    assert score.value == pytest.approx(1 - 1 / math.sqrt(2), abs=1e-12)
    assert _score("identity_drift", _ctx(recs))[0].value == pytest.approx(1.0, abs=1e-12)


def test_constant_identity_is_zero_and_frames_without_a_face_are_left_out():
    recs = [{"embedding": E1 * (1 + k)} for k in range(6)] + [None]
    score, _ = _score("identity_consistency_dlib", _ctx(recs))
    assert score.value == pytest.approx(0.0, abs=1e-12) and score.n_frames == 6 and score.extra["frames_without_face"] == 1
    assert _score("identity_drift", _ctx(recs))[0].value == pytest.approx(0.0, abs=1e-12)


def test_identity_consistency_does_not_depend_on_frame_order():
    rng = np.random.default_rng(0)
    recs = [{"embedding": rng.normal(size=8)} for _ in range(9)]
    a = _score("identity_consistency", _ctx(recs))[0].value
    b = _score("identity_consistency", _ctx([recs[i] for i in rng.permutation(9)]))[0].value
    assert a == pytest.approx(b, rel=1e-12)


def test_too_few_faces_is_a_reason_not_a_zero():
    score, m = _score("identity_consistency", _ctx([{"embedding": E1}, None, None, None]))
    assert score.value is None and "needs at least 4" in score.extra["missing_reason"]
    assert m.compute().value is None


# -- head motion ----------------------------------------------------------------------------------
def _poses(yaw_deg):
    return [{"angles": np.radians([0.0, y, 0.0])} for y in yaw_deg]


REF_YAW = 10 * np.sin(np.linspace(0, 3 * np.pi, 30))


def test_same_head_motion_is_ideal():
    ctx = _ctx(_poses(REF_YAW + 5.0), _poses(REF_YAW))  # an offset pose, the same dynamics
    assert _score("head_motion_w1", ctx)[0].value == pytest.approx(0.0, abs=1e-9)
    assert _score("head_motion_energy", ctx)[0].value == pytest.approx(1.0, rel=1e-9)


def test_frozen_head_is_flagged():
    ctx = _ctx(_poses(np.zeros(30)), _poses(REF_YAW))
    v = np.diff(REF_YAW)
    assert _score("head_motion_energy", ctx)[0].value == 0.0
    # W1 between a point mass at 0 and the reference velocities = mean |v|, on yaw; pitch and roll add 0
    assert _score("head_motion_w1", ctx)[0].value == pytest.approx(np.mean(np.abs(v)) / 3, rel=1e-9)


def test_double_speed_has_four_times_the_energy():
    ctx = _ctx(_poses(2 * REF_YAW), _poses(REF_YAW))
    assert _score("head_motion_energy", ctx)[0].value == pytest.approx(4.0, rel=1e-9)


# -- blinks ---------------------------------------------------------------------------------------
def _eye_points(h: float) -> np.ndarray:
    """68 points whose two eyes have EAR = 2h (corners 1 apart, lids ±h)."""
    p = np.zeros((68, 2))
    eye = np.array([[0, 0], [1 / 3, -h], [2 / 3, -h], [1, 0], [2 / 3, h], [1 / 3, h]])
    p[36:42], p[42:48] = eye, eye + [3, 0]
    return p


def test_eye_aspect_ratio_by_hand():
    assert eye_aspect_ratio(_eye_points(0.15)) == pytest.approx(0.30, abs=1e-12)


def test_one_blink_of_three_frames():
    ear = np.full(50, 0.3)
    ear[20:23] = 0.05
    assert count_blinks(ear, 0.75) == 1
    assert blinks_per_minute(ear, 25.0, 0.75) == pytest.approx(30.0)  # 1 blink in 2 s


def test_blink_rate_error_through_the_metric():
    open_, closed = {"points": _eye_points(0.15)}, {"points": _eye_points(0.01)}
    ref = [open_] * 50
    ref[10:13] = [closed] * 3
    ref[30:32] = [closed] * 2  # 2 blinks in 2 s = 60 / min
    score, _ = _score("blink_rate_error", _ctx([open_] * 50, ref))  # a frozen face: 0 blinks
    assert score.value == pytest.approx(60.0) and score.extra["reference_blinks_per_min"] == pytest.approx(60.0)
    assert _score("blink_rate_error", _ctx(ref, ref))[0].value == 0.0


# -- silent lips ----------------------------------------------------------------------------------
def test_mouth_moving_in_silence():
    envelope = np.r_[np.full(20, 1.0), np.full(20, 0.01)]
    still = np.r_[np.linspace(0, 1, 20), np.full(20, 0.3)]
    moving = np.r_[np.linspace(0, 1, 20), np.tile([0.2, 0.4], 10)]
    assert silent_motion(still, envelope, 0.1, 5) == (0.0, 20)
    value, n = silent_motion(moving, envelope, 0.1, 5)
    assert value == pytest.approx(0.2) and n == 20
    score, _ = _score("silent_lip_motion", _ctx([None] * 40, clip={"mouth": moving, "envelope": envelope}, n=40))
    assert score.value == pytest.approx(0.2) and score.extra["silent_frames"] == 20


def test_no_silence_is_a_reason():
    out = silent_motion(np.zeros(30), np.ones(30), 0.1, 5)
    assert isinstance(out, str) and "0 silent frames" in out


# -- flicker --------------------------------------------------------------------------------------
def _texture(size=96):
    from skimage import data
    from skimage.transform import resize

    return (resize(data.astronaut(), (size, size), anti_aliasing=True) * 0.8 * 255 + 10).astype(np.uint8)  # no clipping


def test_static_clip_has_no_flicker():
    img = _texture()
    assert clip_flicker(FrameAnalysis(None), [img] * 5).tolist() == [0.0] * 4


def test_injected_flicker_of_known_amplitude():
    img, a = _texture(), 10  # ±10 grey levels every other frame
    frames = [np.clip(img.astype(int) + (a if k % 2 else 0), 0, 255).astype(np.uint8) for k in range(6)]
    ctx = _ctx([None] * 6)
    ctx.pred, ctx.analysis = FrameSet(frames), FrameAnalysis(None)
    score, _ = _score("flicker_warped", ctx)
    assert score.value == pytest.approx(a / 255, rel=0.03)


def test_smooth_motion_is_compensated():
    img = _texture(128)
    moving = [np.roll(img, 2 * k, axis=1) for k in range(5)]
    flickering = [np.clip(img.astype(int) + (10 if k % 2 else 0), 0, 255).astype(np.uint8) for k in range(5)]
    assert clip_flicker(FrameAnalysis(None), moving).mean() < 0.5 * clip_flicker(FrameAnalysis(None), flickering).mean()
