"""LSE-D / LSE-C: hand-computed fixture, offset recovery with mock embeddings, windows, tracking, missing items."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from talkbench.faces.detection import FaceBox
from talkbench.faces.tracking import PAD_VALUE, NoTrackError, crop_face, link_largest_faces, main_track, TrackConfig
from talkbench.io.frameset import FrameSet
from talkbench.metrics.context import ItemContext
from talkbench.metrics.registry import get_metric
from talkbench.analysis.clip import Clip, resample_indices
from talkbench.analysis.stage import FrameAnalysis
from talkbench.analysis.syncnet_windows import audio_windows, n_windows, video_windows
from talkbench.metrics.syncnet_pipeline import distance_curve, scores_from_curve, sync_scores
from talkbench.nets.pool import POOL


def test_hand_computed_fixture():
    # vshift 1, three 1-d windows: V = 0, 1, 2 and A = 1, 2, 3; A padded with one zero each side.
    # k=−1 pairs (0,0) (1,1) (2,2): each |v − a + 1e−6| = 1e−6              -> mean 1e−6
    # k= 0 pairs (0,1) (1,2) (2,3): each |−1 + 1e−6| = 1 − 1e−6              -> mean 1 − 1e−6
    # k=+1 pairs (0,2) (1,3) (2,pad 0): 2 − 1e−6, 2 − 1e−6, 2 + 1e−6        -> mean 2 − 1e−6/3
    res = sync_scores(np.array([[0.0], [1.0], [2.0]]), np.array([[1.0], [2.0], [3.0]]), vshift=1)
    np.testing.assert_allclose(res.curve, [1e-6, 1 - 1e-6, 2 - 1e-6 / 3], rtol=0, atol=1e-15)
    assert res.lse_d == pytest.approx(1e-6, abs=1e-15)
    assert res.lse_c == pytest.approx(1 - 2e-6, abs=1e-15)  # median (1 − 1e−6) minus min (1e−6)
    assert res.offset == 1  # argmin at k = −1: V_i matches A_{i−1}, the audio leads by one frame


def test_two_dim_fixture_with_eps_in_every_coordinate():
    v = np.array([[3.0, 0.0], [0.0, 4.0]])
    a = np.zeros((2, 2))
    curve = distance_curve(v, a, vshift=0)
    expect = (np.hypot(3 + 1e-6, 1e-6) + np.hypot(1e-6, 4 + 1e-6)) / 2
    assert curve[0] == pytest.approx(expect, abs=1e-14)
    d, c, off = scores_from_curve(curve, 0)
    assert (d, c, off) == (pytest.approx(expect), 0.0, 0)


@pytest.mark.parametrize("shift", [-4, 0, 3, 15])
def test_offset_recovered_from_shifted_embeddings(shift, rng):
    n, dim = 60, 16
    base = rng.standard_normal((n + 40, dim))
    video = base[20:20 + n]
    audio = base[20 - shift:20 - shift + n]  # A_{i+shift} = V_i: the audio lags the video by `shift`
    res = sync_scores(video, audio)
    assert res.offset == -shift
    assert len(res.curve) == 31
    assert res.lse_d == pytest.approx(1e-6 * np.sqrt(dim) * (n - abs(shift)) / n + _pad_part(video, shift), rel=1e-6)
    assert res.lse_c > 1.0


def _pad_part(video, shift):
    """Windows whose partner falls in the zero padding contribute ‖V_i + eps‖ to the mean."""
    n = len(video)
    idx = range(n - shift, n) if shift > 0 else range(0, -shift)
    return sum(np.linalg.norm(video[i] + 1e-6) for i in idx) / n


def test_window_count_and_tensor_layout():
    assert n_windows(100, 100 * 640) == 95
    assert n_windows(100, 50 * 640 + 639) == 45
    assert n_windows(5, 10 * 640) == 0
    cols = np.arange(13 * 60, dtype=np.float64).reshape(13, 60)
    aw = audio_windows(cols, 2, 4)
    assert aw.shape == (2, 1, 13, 20)
    torch.testing.assert_close(aw[1, 0], torch.from_numpy(cols[:, 12:32]).float())
    crops = [np.full((224, 224, 3), (i, 100 + i, 200 + i), np.uint8) for i in range(10)]
    vw = video_windows(crops, 3, 5)
    assert vw.shape == (2, 3, 5, 224, 224)
    assert vw[1, 0, :, 0, 0].tolist() == [4.0, 5.0, 6.0, 7.0, 8.0]  # channel 0 of frames 4..8, raw 0–255
    assert vw[1, 2, 0, 0, 0].item() == 204.0


def test_resample_indices_to_25fps():
    np.testing.assert_array_equal(resample_indices(10, 25.0), np.arange(10))
    np.testing.assert_array_equal(resample_indices(6, 30.0), [0, 1, 2, 4, 5])  # 6 frames @30 -> 5 @25
    np.testing.assert_array_equal(resample_indices(4, 12.5), [0, 1, 1, 2, 2, 3, 3, 3])


class BrightnessNet:
    """Mock SyncNet for the backbone pool: video window -> mean brightness of its 5 frames; audio window ->
    log energy of its 5 frame-aligned MFCC columns; both standardised, so the true alignment gives the
    smallest distance."""

    def __init__(self):
        self.lip_windows = 0

    @staticmethod
    def _z(x):
        x = np.asarray(x, dtype=np.float64)
        return torch.from_numpy((x - x.mean(axis=1, keepdims=True)) / (x.std(axis=1, keepdims=True) + 1e-9))

    def forward_lip(self, windows):
        self.lip_windows += len(windows)
        return self._z(windows.mean(dim=(1, 3, 4)).numpy())

    def forward_audio(self, windows):
        return self._z(windows[:, 0, 0, 0:20:4].numpy())


def score_clip(frames, fps, audio, **options):
    """The `syncnet` clip analysis (fullframe crops, the mock network) and the scores from its record."""
    with POOL.injected("syncnet-v2", BrightnessNet()):
        rec = FrameAnalysis(None).run_clip("syncnet", Clip(frames, fps, audio), mode="fullframe", **options)
    if not rec.ok:
        return rec.missing
    res = sync_scores(rec["video"], rec["audio"])
    res.info = rec["info"]
    return res


def _levels_clip(levels, delay):
    frames = [np.full((32, 32, 3), 40 + 20 * lv, np.uint8) for lv in levels]
    amp = np.repeat(np.concatenate([np.zeros(delay), levels])[:len(levels)] if delay >= 0 else
                    np.concatenate([levels[-delay:], np.zeros(-delay)]), 640)
    t = np.arange(len(amp)) / 16000
    return frames, (1000 * (amp + 1) * np.sin(2 * np.pi * 300 * t)).astype(np.int16)


@pytest.mark.parametrize("delay", [0, 3, -2])
def test_pipeline_offset_moves_with_audio_shift(delay, rng):
    levels = rng.integers(0, 8, 80).astype(np.float64)
    frames, audio = _levels_clip(levels, delay)
    res = score_clip(frames, 25.0, audio)
    assert res.offset == -delay
    assert res.n_windows == 75 and res.info["resampled_to_25fps"] is False


def test_pipeline_resamples_50fps_to_25(rng):
    levels = rng.integers(0, 8, 60).astype(np.float64)
    frames, audio = _levels_clip(levels, 2)
    doubled = [f for f in frames for _ in range(2)]  # the same clip at 50 fps
    res = score_clip(doubled, 50.0, audio)
    assert res.offset == -2 and res.info["resampled_to_25fps"] and res.info["frames_25fps"] == 60


def test_too_short_clip_is_a_missing_record_with_reason():
    frames, audio = _levels_clip(np.ones(5), 0)
    assert score_clip(frames, 25.0, audio).startswith("too short for SyncNet: 5 frames at 25 fps")


def test_short_clip_is_missing_not_zero(tmp_path):
    from talkbench.io.audio import mux_audio, write_wav
    from talkbench.io.video import write_video

    video = write_video(tmp_path / "v.mp4", [np.full((32, 32, 3), 90, np.uint8)] * 5, fps=25)
    clip = mux_audio(video, write_wav(tmp_path / "a.wav", np.zeros(3200, np.int16)), tmp_path / "va.mp4")
    ctx = ItemContext("short", FrameSet.from_path(clip))
    for name in ("lse_d_fullframe", "lse_c_fullframe"):
        m = get_metric(name, weights="random-init")
        score = m.update_item(ctx)
        assert score.value is None and "too short for SyncNet" in score.extra["missing_reason"]
        out = m.compute()
        assert out.value is None and out.n == 0 and out.extra["n_missing"] == 1


def test_video_without_audio_is_missing_with_reason(tmp_path):
    from talkbench.io.video import write_video

    video = write_video(tmp_path / "silent.mp4", [np.full((32, 32, 3), 90, np.uint8)] * 20, fps=25)
    score = get_metric("lse_d_fullframe", weights="random-init").update_item(ItemContext("s", FrameSet.from_path(video)))
    assert score.value is None and "has no audio track" in score.extra["missing_reason"]


def test_lse_metrics_share_one_pipeline_run(tmp_path, monkeypatch, rng):
    from talkbench.io.audio import mux_audio, write_wav
    from talkbench.io.video import write_video

    levels = rng.integers(0, 8, 40).astype(np.float64)
    frames, audio = _levels_clip(levels, 1)
    clip = mux_audio(write_video(tmp_path / "v.mp4", frames, fps=25), write_wav(tmp_path / "a.wav", audio), tmp_path / "c.mp4")
    net = BrightnessNet()
    analysis = FrameAnalysis(None)
    ctx = ItemContext("c", FrameSet.from_path(clip), analysis=analysis)
    with POOL.injected("syncnet-v2", net):
        d = get_metric("lse_d_fullframe").update_item(ctx)
        c = get_metric("lse_c_fullframe").update_item(ctx)
    assert net.lip_windows == 35 and analysis.stats["computed"] == 1  # one SyncNet pass over 40 − 5 windows
    assert d.extra["av_offset"] == c.extra["av_offset"] == -1
    assert d.value == d.extra["lse_d"] and c.value == c.extra["lse_c"] and c.value > 0


def test_cards_and_options():
    d, c = get_metric("lse_d"), get_metric("lse_c_fullframe")
    assert d.instance_card.kind.value == c.instance_card.kind.value == "audio-visual"
    assert d.card.higher_is_better is False and c.card.higher_is_better is True
    assert d.instance_card.backbone.id == "syncnet-v2"
    assert d.instance_card.backbone.weights_sha256 == "961e8696f888fce4f3f3a6c3d5b3267cf5b343100b238e79b2659bff2c605442"
    assert d.instance_card.options["mode"] == "track" and c.instance_card.options["mode"] == "fullframe"
    assert d.instance_card.options["vshift"] == 15 and d.instance_card.options["crop_scale"] == 0.4
    rnd = get_metric("lse_d", weights="random-init").instance_card.backbone
    assert rnd.weights_sha256 is None and "RANDOM-INIT" in rnd.weights_file
    with pytest.raises(ValueError, match="mode"):
        get_metric("lse_d", mode="lower-half")


# -- face tracking -------------------------------------------------------------------------------
def _box(x0, y0, side, score=0.9):
    return FaceBox(x0, y0, x0 + side, y0 + side, score)


def test_tracking_links_interpolates_and_filters():
    dets = [[_box(10 + t, 20, 120), _box(200, 200, 30)] for t in range(130)]
    for t in (40, 41, 42):
        dets[t] = []  # a 3-frame gap is bridged and interpolated
    track = main_track(dets, TrackConfig())
    assert track.start == 0 and len(track) == 130 and (~track.detected).sum() == 3
    np.testing.assert_allclose(track.boxes[41], [51, 20, 171, 140])
    with pytest.raises(NoTrackError, match="more than 100"):
        main_track(dets[:90], TrackConfig())
    with pytest.raises(NoTrackError, match="too small"):
        main_track([[_box(0, 0, 50)]] * 120, TrackConfig())
    with pytest.raises(NoTrackError, match="no face"):
        main_track([[]] * 10, TrackConfig())


def test_tracking_splits_on_jump_and_long_gap():
    dets = [[_box(0, 0, 100)]] * 10 + [[_box(300, 300, 100)]] * 20 + [[]] * 30 + [[_box(300, 300, 100)]] * 5
    tracks = link_largest_faces(dets, 0.5, 25)
    assert [(t.start, len(t)) for t in tracks] == [(0, 10), (10, 20), (60, 5)]


def test_reference_crop_geometry():
    frame = np.zeros((400, 400, 3), np.uint8)
    frame[100:300, 150:250] = 255  # box centre (200, 200)
    s, x, y = 50.0, 200.0, 200.0
    crop = crop_face(frame, s, x, y, crop_scale=0.4, size=140)  # native crop is 140×140: no resampling blur
    # rows y − s … y + 1.8 s = 150 … 290, cols x − 1.4 s … x + 1.4 s = 130 … 270
    np.testing.assert_array_equal(crop, frame[150:290, 130:270])
    edge = crop_face(frame, 60.0, 10.0, 10.0, 0.4, 168)
    assert (edge[0, 0] == PAD_VALUE).all()  # outside the frame: grey 110 padding


def test_mouth_audio_constant_mouth_is_undefined_not_zero():
    import numpy as np

    from talkbench.metrics.mouth_audio import lagged_correlation

    mouth = np.full(60, 0.3) + np.where(np.arange(60) % 2, 1e-17, 0.0)  # a still mouth plus rounding noise
    env = np.sin(np.arange(60) / 3.0)
    assert np.isnan(lagged_correlation(mouth, env, vshift=3)).all()
    moving = np.sin(np.arange(60) / 3.0 + 0.2)
    assert np.nanmax(lagged_correlation(moving, env, vshift=3)) > 0.95
