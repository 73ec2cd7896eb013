"""MFCC equals python_speech_features.mfcc (the SyncNet reference) on a sweep, speech and edge cases."""
from __future__ import annotations

import numpy as np
import pytest
import python_speech_features as psf
from scipy.signal import chirp

from talkbench.nets.mfcc import MFCCConfig, mel_filterbank, mfcc


def _sweep(seconds=2.0, sr=16000):
    t = np.arange(int(seconds * sr)) / sr
    return (12000 * chirp(t, 60, seconds, 7600, method="logarithmic")).astype(np.int16)


@pytest.mark.parametrize("n", [32000, 16037, 401, 400, 150])
def test_mfcc_matches_reference_on_sine_sweep(n):
    x = _sweep()[:n]
    ours, ref = mfcc(x), psf.mfcc(x, 16000)
    assert ours.shape == ref.shape and ours.shape[1] == 13
    np.testing.assert_allclose(ours, ref, rtol=1e-12, atol=1e-9)


def test_mfcc_rate_and_shape():
    x = _sweep(seconds=1.0)
    assert mfcc(x).shape == (99, 13)  # 1 + ceil((16000 − 400) / 160) frames at 100 Hz


def test_mfcc_silence_uses_eps_like_reference():
    x = np.zeros(4000, np.int16)
    np.testing.assert_allclose(mfcc(x), psf.mfcc(x, 16000), rtol=1e-12)
    assert np.all(mfcc(x)[:, 0] == np.log(np.finfo(np.float64).eps))


def test_filterbank_matches_reference():
    np.testing.assert_array_equal(mel_filterbank(26, 512, 16000, 0.0, 8000.0), psf.get_filterbanks(26, 512, 16000, 0, 8000))


def test_non_default_config_matches_reference():
    x = _sweep()[:9000]
    cfg = MFCCConfig(numcep=20, nfilt=40, preemph=0.0, ceplifter=0, append_energy=False)
    ref = psf.mfcc(x, 16000, numcep=20, nfilt=40, preemph=0.0, ceplifter=0, appendEnergy=False)
    np.testing.assert_allclose(mfcc(x, cfg), ref, rtol=1e-12, atol=1e-9)


def test_mfcc_rejects_bad_input():
    with pytest.raises(ValueError, match="mono"):
        mfcc(np.zeros((10, 2), np.int16))
    with pytest.raises(ValueError, match="empty"):
        mfcc(np.zeros(0, np.int16))


def test_mfcc_matches_reference_on_synthesised_speech(tmp_path):
    from scipy.io import wavfile
    from scipy.signal import resample_poly

    from talkbench.benchmarks.mini.speech import synthesise
    from talkbench.io.audio import read_audio

    speech = resample_poly(synthesise("The quick brown fox jumps over the lazy dog.", seed=3), 441, 320)
    wav = tmp_path / "speech.wav"
    wavfile.write(wav, 22050, np.round(speech * 0.7 * 32767).astype(np.int16))
    x = read_audio(wav).samples  # written at 22.05 kHz: this also goes through the resampler
    assert len(x) > 16000 and np.abs(x).max() > 1000
    np.testing.assert_allclose(mfcc(x), psf.mfcc(x, 16000), rtol=1e-12, atol=1e-9)
