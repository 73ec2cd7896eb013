"""Speech tracks for the mini benchmark and the mouth opening their loudness implies.

The speech is made here, without any external program, by a small source-filter synthesiser:
a glottal pulse train (harmonics with a -12 dB/octave tilt, gliding pitch) passed through three
formant resonators per vowel, one syllable per vowel group of a short English phrase, with a
noise burst for each fricative/stop onset. It is deterministic for a given phrase and seed (numpy
and scipy arithmetic only), so the generated benchmark and its golden numbers do not depend on
a text-to-speech package being installed. The track is 16 kHz mono int16 and the per-frame mouth
opening is its RMS loudness mapped to [0, 1].
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

SAMPLE_RATE = 16000
#: bump when the synthesiser's output changes (it is part of the mini benchmark's cache key)
SYNTH_VERSION = "formant-vowels-1"
#: loudness range (dBFS) mapped to a closed (floor) and a fully open (ceiling) mouth
DB_FLOOR, DB_CEILING = -45.0, -14.0

PHRASES = (
    "Hello, my friend.", "Good morning to you.", "Nice to see you.", "Thank you so much.",
    "How are you today?", "See you later.", "Welcome back home.", "Have a lovely day.",
)

#: first three formant frequencies (Hz) of the vowel a letter most often spells (Peterson & Barney averages)
FORMANTS: dict[str, tuple[float, float, float]] = {
    "a": (730.0, 1090.0, 2440.0), "e": (530.0, 1840.0, 2480.0), "i": (390.0, 1990.0, 2550.0),
    "o": (570.0, 840.0, 2410.0), "u": (440.0, 1020.0, 2240.0), "y": (270.0, 2290.0, 3010.0),
}
BANDWIDTHS = (80.0, 100.0, 140.0)
#: consonant letters heard as a noise burst before the vowel (fricatives, stops); the others are voiced
NOISY = set("cfhkpstxz")
SYLLABLE_S = 0.17  # vowel duration
GAP_S = 0.05  # pause between syllables; a word boundary doubles it, punctuation triples it


def syllables(text: str) -> list[tuple[str, bool, int]]:
    """(vowel letter, noisy onset, pause weight) per vowel group of the text."""
    out = []
    for word in re.findall(r"[a-zA-Z]+[.,?!]?", text):
        pause = 3 if word[-1] in ".,?!" else 2
        letters = word.rstrip(".,?!").lower()
        groups = [(m.start(), m.group()) for m in re.finditer(r"[aeiouy]+", letters)]
        for k, (start, vowels) in enumerate(groups):
            onset = letters[groups[k - 1][0] + len(groups[k - 1][1]):start] if k else letters[:start]
            out.append((vowels[0], bool(set(onset) & NOISY), pause if k == len(groups) - 1 else 1))
    return out


def _resonate(x: np.ndarray, freq: float, bandwidth: float) -> np.ndarray:
    """A two-pole resonator with unit gain at DC (Klatt's formant filter)."""
    from scipy.signal import lfilter

    r = np.exp(-np.pi * bandwidth / SAMPLE_RATE)
    c, d = -r * r, 2 * r * np.cos(2 * np.pi * freq / SAMPLE_RATE)
    return lfilter([1.0 - c - d], [1.0, -d, -c], x)


def _vowel(letter: str, n: int, f0: np.ndarray) -> np.ndarray:
    phase = 2 * np.pi * np.cumsum(f0) / SAMPLE_RATE
    source = sum(np.sin(k * phase) / k ** 2 for k in range(1, 30))
    voiced = source
    for freq, bw in zip(FORMANTS[letter], BANDWIDTHS):
        voiced = _resonate(voiced, freq, bw)
    envelope = np.sin(np.pi * np.arange(n) / n) ** 0.7
    return voiced * envelope


def synthesise(text: str, seed: int) -> np.ndarray:
    """Float64 samples at SAMPLE_RATE of the phrase, peak-normalised to 1."""
    rng = np.random.default_rng(seed)
    base_f0 = rng.uniform(100.0, 200.0)
    parts = [np.zeros(int(0.1 * SAMPLE_RATE))]
    for letter, noisy, pause in syllables(text):
        if noisy:
            burst = rng.standard_normal(int(0.05 * SAMPLE_RATE))
            burst = _resonate(burst, 4500.0, 1500.0) * np.hanning(burst.size) * 0.3
            parts.append(burst)
        n = int(SYLLABLE_S * rng.uniform(0.8, 1.25) * SAMPLE_RATE)
        glide = np.linspace(1.05, 0.92, n) * base_f0 * rng.uniform(0.95, 1.05)
        parts.append(_vowel(letter, n, glide) * rng.uniform(0.6, 1.0))
        parts.append(np.zeros(int(GAP_S * pause * SAMPLE_RATE)))
    x = np.concatenate(parts) + 1e-4 * rng.standard_normal(sum(p.size for p in parts))
    return x / (float(np.abs(x).max()) or 1.0)


def speech_tracks(count: int, n_samples: int, seed: int) -> list[tuple[np.ndarray, str]]:
    """(int16 samples of exactly n_samples, how they were made) for identities 0..count-1."""
    out = []
    for k in range(count):
        text = PHRASES[k % len(PHRASES)]
        x = synthesise(text, seed * 1000 + k)
        x = np.concatenate([x, np.zeros(max(0, n_samples - len(x)))])[:n_samples]
        out.append((np.round(x * 0.7 * 32767).astype(np.int16), f"{SYNTH_VERSION}: {text!r}"))
    return out


def mouth_opening(samples: np.ndarray, fps: float, n_frames: int) -> np.ndarray:
    """Per-frame mouth opening in [0, 1] from the RMS loudness of the audio under each frame."""
    x = samples.astype(np.float64) / 32768.0
    hop = SAMPLE_RATE / fps
    out = np.zeros(n_frames)
    for i in range(n_frames):
        seg = x[int(round(i * hop)):int(round((i + 1) * hop))]
        rms = float(np.sqrt(np.mean(seg ** 2))) if seg.size else 0.0
        db = 20 * np.log10(max(rms, 1e-6))
        out[i] = np.clip((db - DB_FLOOR) / (DB_CEILING - DB_FLOOR), 0.0, 1.0)
    smooth = np.convolve(np.pad(out, 1, mode="edge"), [0.25, 0.5, 0.25], mode="valid")
    return np.round(smooth, 6)


def write_wav(path: Path, samples: np.ndarray) -> None:
    from scipy.io import wavfile

    path.parent.mkdir(parents=True, exist_ok=True)
    wavfile.write(path, SAMPLE_RATE, np.asarray(samples, dtype=np.int16))
