"""End to end: `talkbench score --pred VIDEO --metrics lse|mouth-audio` on generated talking clips with audio."""
from __future__ import annotations

import json

import numpy as np
import pytest

from talkbench.cli import main
from talkbench.metrics.mouth_audio import analyse, energy_envelope, lagged_correlation

from .synthetic_talking import make_clip


@pytest.fixture
def no_syncnet_weights(tmp_path, monkeypatch):
    monkeypatch.setenv("TALKBENCH_HOME", str(tmp_path / "tb_home"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch_home"))


def _run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_score_lse_without_weights_exits_2_with_the_import_command(tmp_path, capsys, no_syncnet_weights):
    clip, _ = make_clip(tmp_path, n_frames=8, seed=2)
    code, out, err = _run(capsys, "score", "--pred", str(clip), "--metrics", "lse")
    assert code == 2 and out == ""
    assert "syncnet_v2.model" in err and "talkbench weights import" in err and "--random-init-weights" in err


def test_score_lse_random_init_only_when_asked_and_flagged(tmp_path, capsys, no_syncnet_weights):
    clip, _ = make_clip(tmp_path, n_frames=106, audio_delay=0, seed=1)
    code, out, err = _run(capsys, "score", "--pred", str(clip), "--metrics", "lse", "--random-init-weights", "--json",
                          "--out", str(tmp_path / "res"))
    assert code == 0, err
    data = json.loads(out)
    assert set(data["metrics"]) == {"lse_d", "lse_c"}
    assert data["comparable"] is False
    assert any("RANDOM-INITIALISED" in r for r in data["comparable_reasons"])
    assert "RANDOM-INITIALISED" in err
    for name in ("lse_d", "lse_c"):
        m = data["metrics"][name]
        assert m["n"] == 1 and m["card"]["backbone"]["weights_sha256"] is None
        assert "RANDOM-INIT" in m["card"]["backbone"]["weights_file"]
        assert m["card"]["options"]["mode"] == "track" and m["card"]["kind"] == "audio-visual"
    d, c = data["metrics"]["lse_d"]["value"], data["metrics"]["lse_c"]["value"]
    assert np.isfinite(d) and d > 0 and c >= 0
    items = [json.loads(line) for line in (tmp_path / "res" / "items.jsonl").read_text().splitlines()]
    rec = {r["metric"]: r for r in items}
    assert rec["lse_d"]["extra"]["n_windows"] == 101  # 106 frames tracked, minus 5
    assert rec["lse_d"]["extra"]["track_frames"] == 106
    assert rec["lse_d"]["extra"]["lse_c"] == pytest.approx(c) and rec["lse_c"]["extra"]["lse_d"] == pytest.approx(d)
    assert rec["lse_d"]["extra"]["not_comparable"]


def test_short_track_clip_reported_missing(tmp_path, capsys, no_syncnet_weights):
    clip, _ = make_clip(tmp_path, n_frames=30, seed=3)  # the track pipeline needs more than 100 frames
    code, out, err = _run(capsys, "score", "--pred", str(clip), "--metrics", "lse_d", "--random-init-weights", "--json")
    data = json.loads(out)
    assert code == 1 and data["metrics"]["lse_d"]["value"] is None and data["metrics"]["lse_d"]["n"] == 0
    assert data["missing"][0]["metric"] == "lse_d" and "more than 100" in data["missing"][0]["reason"]


@pytest.mark.parametrize("delay", [3, -2])
def test_mouth_audio_recovers_known_shift(tmp_path, capsys, delay):
    clip, _ = make_clip(tmp_path, n_frames=60, audio_delay=delay, seed=4)
    code, out, err = _run(capsys, "score", "--pred", str(clip), "--metrics", "mouth-audio", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["metrics"]["mouth_audio_offset"]["value"] == -delay  # audio delayed by k frames reads −k
    assert data["metrics"]["mouth_audio_corr"]["value"] > 0.8
    card = data["metrics"]["mouth_audio_corr"]["card"]
    assert card["backbone"]["id"] == "mouth-audio" and "not LSE" in card["description"]
    assert not any(k.startswith("lse") for k in data["metrics"])


def test_mouth_audio_analysis_on_series(rng):
    mouth = rng.random(80)
    env = np.concatenate([np.zeros(4), mouth])[:80] * 3 + 1  # the audio lags by 4 frames
    res = analyse(mouth, env, vshift=15)
    assert res.offset == -4 and res.corr == pytest.approx(1.0)
    curve = lagged_correlation(mouth, env, 15)
    assert np.nanargmax(curve) == 15 + 4
    mouth_nan = mouth.copy()
    mouth_nan[::3] = np.nan  # frames without a face are skipped, not zero-filled
    assert analyse(mouth_nan, env).offset == -4
    with pytest.raises(ValueError, match="too short"):
        analyse(mouth[:20], env[:20])


def test_energy_envelope_blocks():
    x = np.concatenate([np.full(640, 3.0), np.full(640, -4.0), np.zeros(100)])
    np.testing.assert_allclose(energy_envelope(x, 3), [3.0, 4.0, np.nan])


def test_paired_metrics_still_need_gt(tmp_path, capsys):
    code, _, err = _run(capsys, "score", "--pred", str(tmp_path), "--metrics", "psnr")
    assert code == 2 and "--gt: is required" in err


def test_metric_groups_expand():
    from talkbench.protocols.adhoc import expand_names

    assert expand_names(["lse", "lse_d", "mouth-audio"]) == ["lse_d", "lse_c", "mouth_audio_offset", "mouth_audio_corr"]
    assert expand_names(["lse_fullframe", "psnr"]) == ["lse_d_fullframe", "lse_c_fullframe", "psnr"]


def test_paired_and_audio_visual_metrics_in_one_call(tmp_path, capsys):
    clip, _ = make_clip(tmp_path, n_frames=60, audio_delay=2, seed=6)
    code, out, err = _run(capsys, "score", "--pred", str(clip), "--gt", str(clip), "--metrics", "l1,mouth-audio", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["metrics"]["l1"]["value"] == 0.0 and data["metrics"]["l1"]["extra"]["frames"] == 60
    assert data["metrics"]["mouth_audio_offset"]["value"] == -2


def test_mouth_audio_from_the_clip_cache_equals_the_computed_value(tmp_path):
    from talkbench.analysis.stage import FrameAnalysis
    from talkbench.io.frameset import FrameSet
    from talkbench.metrics.context import ItemContext
    from talkbench.metrics.registry import get_metric

    clip, _ = make_clip(tmp_path, n_frames=50, audio_delay=3, seed=5)
    first = FrameAnalysis(tmp_path / "cache")
    computed = get_metric("mouth_audio_corr").update_item(ItemContext("a", FrameSet.from_path(clip), analysis=first))
    assert computed.extra["av_offset"] == -3 and first.stats["computed"] > 0
    fresh = FrameAnalysis(tmp_path / "cache")  # a new process would see only the disk
    cached = get_metric("mouth_audio_corr").update_item(ItemContext("b", FrameSet.from_path(clip), analysis=fresh))
    assert fresh.stats["computed"] == 0 and fresh.stats["disk_hits"] == 1
    assert cached.value == computed.value and cached.extra == computed.extra
    # one array file for the clip analysis, one per frame analysis it ran on (faces, mesh, mouth)
    files = sorted(p.relative_to(tmp_path / "cache").parts[0] for p in (tmp_path / "cache").rglob("*.npz"))
    assert files == ["faces_mediapipe", "landmarks_mediapipe-478_mediapipe", "mouth-audio_mediapipe", "mouth_mediapipe"]
