"""Audio decode (16 kHz mono int16), downmix, resample, missing-track error and muxing audio into mp4."""
from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from talkbench.errors import InputError
from talkbench.io.audio import mux_audio, read_audio, write_wav
from talkbench.io.video import iter_frames, probe, write_video


def _write_pcm(path, channels: np.ndarray, rate: int, layout: str):
    """channels: C×N int16, written as interleaved PCM wav."""
    import av

    with av.open(str(path), "w", format="wav") as c:
        s = c.add_stream("pcm_s16le", rate=rate)
        s.layout = layout
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(channels.T.reshape(1, -1)), format="s16", layout=layout)
        frame.sample_rate, frame.pts, frame.time_base = rate, 0, Fraction(1, rate)
        for p in s.encode(frame):
            c.mux(p)
        for p in s.encode(None):
            c.mux(p)
    return path


def test_wav_roundtrip_is_exact(tmp_path, rng):
    x = rng.integers(-20000, 20000, 16000 * 2 + 123).astype(np.int16)
    track = read_audio(write_wav(tmp_path / "a.wav", x))
    assert track.sample_rate == 16000 and track.source_rate == 16000 and track.source_channels == 1
    np.testing.assert_array_equal(track.samples, x)
    assert track.samples.dtype == np.int16
    assert track.duration == pytest.approx(len(x) / 16000)


def test_stereo_downmix_is_channel_mean(tmp_path, rng):
    left = rng.integers(-10000, 10000, 8000).astype(np.int16)
    right = rng.integers(-10000, 10000, 8000).astype(np.int16)
    track = read_audio(_write_pcm(tmp_path / "s.wav", np.stack([left, right]), 16000, "stereo"))
    expect = (left.astype(np.int64) + right) / 2.0
    assert track.source_channels == 2 and len(track.samples) == 8000
    assert np.abs(track.samples - expect).max() <= 1.0  # (L + R) / 2 up to rounding


def test_resample_44k1_to_16k_keeps_a_tone(tmp_path):
    sr = 44100
    t = np.arange(sr * 2) / sr
    tone = (12000 * np.sin(2 * np.pi * 1000 * t)).astype(np.int16)
    track = read_audio(_write_pcm(tmp_path / "t.wav", np.stack([tone, tone]), sr, "stereo"))
    assert track.source_rate == sr and track.sample_rate == 16000
    assert abs(len(track.samples) - 32000) <= 64
    y = track.samples[2000:30000].astype(np.float64)
    ref_t = (np.arange(2000, 30000)) / 16000
    # least-squares fit of a 1 kHz sinusoid: amplitude and phase survive the resampler
    basis = np.stack([np.sin(2 * np.pi * 1000 * ref_t), np.cos(2 * np.pi * 1000 * ref_t)], 1)
    coef, *_ = np.linalg.lstsq(basis, y, rcond=None)
    assert np.hypot(*coef) == pytest.approx(12000, rel=0.01)
    assert abs(np.arctan2(coef[1], coef[0])) < 0.05  # < 8 µs delay
    assert np.abs(y - basis @ coef).max() < 150


def test_video_without_audio_is_a_clear_error(tmp_path):
    video = write_video(tmp_path / "silent.mp4", [np.zeros((32, 32, 3), np.uint8)] * 5, fps=25)
    with pytest.raises(InputError, match="has no audio track") as err:
        read_audio(video)
    assert "silent.mp4" in str(err.value) and "Fix:" in str(err.value)


def test_missing_and_garbage_files(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        read_audio(tmp_path / "nope.wav")
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"not audio at all" * 10)
    with pytest.raises(InputError):
        read_audio(bad)


def test_mux_audio_into_mp4_keeps_video_and_aligns_audio(tmp_path, rng):
    frames = [rng.integers(0, 256, (48, 64, 3), dtype=np.uint8) for _ in range(25)]
    silent = write_video(tmp_path / "v.mp4", frames, fps=25)
    noise = np.convolve(rng.standard_normal(16000) * 4000, np.ones(4) / 4, "same").astype(np.int16)
    out = mux_audio(silent, write_wav(tmp_path / "n.wav", noise), tmp_path / "va.mp4")
    # video packets are copied, not re-encoded
    assert probe(out) == probe(silent)
    for a, b in zip(iter_frames(out), iter_frames(silent)):
        np.testing.assert_array_equal(a, b)
    back = read_audio(out)
    assert back.source_codec == "aac" and len(back.samples) >= len(noise)
    x = back.samples[:len(noise)].astype(np.float64)
    lags = range(-800, 801)
    corr = [np.dot(x[max(k, 0):len(x) + min(k, 0)], noise[max(-k, 0):len(noise) - max(k, 0)]) for k in lags]
    assert lags[int(np.argmax(corr))] == 0  # encoder priming is trimmed: no audio/video offset is introduced
    assert np.corrcoef(x, noise)[0, 1] > 0.9
