"""Speech tracks for the mini benchmark and the mouth opening their loudness implies.

Speech comes from espeak-ng (Debian package `espeak-ng`) when it is on PATH; otherwise a
synthetic voiced signal with syllable-rate loudness bumps (seeded) stands in. Either way the
track is 16 kHz mono int16 and the per-frame mouth opening is its RMS loudness mapped to [0, 1].
"""
from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from functools import lru_cache
from pathlib import Path

import numpy as np

SAMPLE_RATE = 16000
ESPEAK_RATE = 22050
ESPEAK_ARGS = ("-v", "en-us", "-s", "175", "-a", "120")
#: loudness range (dBFS) mapped to a closed (floor) and a fully open (ceiling) mouth
DB_FLOOR, DB_CEILING = -45.0, -14.0

PHRASES = (
    "Hello, my friend.", "Good morning to you.", "Nice to see you.", "Thank you so much.",
    "How are you today?", "See you later.", "Welcome back home.", "Have a lovely day.",
)


@lru_cache(maxsize=1)
def espeak_version() -> str | None:
    """'espeak-ng <version>' when espeak-ng runs here, else None."""
    exe = shutil.which("espeak-ng")
    if exe is None:
        return None
    try:
        out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=20, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    words = out.split()
    version = next((w for w in words if w[:1].isdigit()), "unknown")
    return f"espeak-ng {version}"


def _espeak_all(texts: list[str]) -> list[np.ndarray]:
    """Synthesise every text at once (one espeak-ng process each, run side by side), at SAMPLE_RATE."""
    from scipy.io import wavfile
    from scipy.signal import resample_poly

    out = []
    with tempfile.TemporaryDirectory() as tmp:
        paths = [Path(tmp) / f"speech{i}.wav" for i in range(len(texts))]
        procs = [subprocess.Popen([shutil.which("espeak-ng"), *ESPEAK_ARGS, "-w", str(p), t], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE) for p, t in zip(paths, texts)]
        for proc in procs:
            _, err = proc.communicate(timeout=120)
            if proc.returncode:
                raise RuntimeError(f"espeak-ng failed ({proc.returncode}): {err.decode(errors='replace')[:300]}")
        for p in paths:
            rate, data = wavfile.read(io.BytesIO(p.read_bytes()))
            x = data.astype(np.float64) / 32768.0
            if data.ndim == 2:
                x = x.mean(1)
            g = np.gcd(SAMPLE_RATE, int(rate))
            out.append(resample_poly(x, SAMPLE_RATE // g, int(rate) // g))
    return out


def _synthetic(n_samples: int, seed: int) -> np.ndarray:
    """A voiced buzz (harmonics of a gliding pitch) under raised-cosine syllable bumps."""
    rng = np.random.default_rng(seed)
    t = np.arange(n_samples) / SAMPLE_RATE
    f0 = rng.uniform(100, 200) * (1 + 0.1 * np.sin(2 * np.pi * 0.7 * t))
    phase = 2 * np.pi * np.cumsum(f0) / SAMPLE_RATE
    buzz = sum(np.sin(k * phase) / k for k in range(1, 12))
    env = np.zeros(n_samples)
    start = 0.12
    while start < t[-1] - 0.1:
        length = rng.uniform(0.12, 0.25)
        inside = (t >= start) & (t < start + length)
        env[inside] += rng.uniform(0.5, 1.0) * np.sin(np.pi * (t[inside] - start) / length) ** 2
        start += length + rng.uniform(0.02, 0.1)
    return 0.25 * buzz * env + 0.002 * rng.standard_normal(n_samples)


def speech_tracks(count: int, n_samples: int, seed: int) -> list[tuple[np.ndarray, str]]:
    """(int16 samples of exactly n_samples, how they were made) for identities 0..count-1."""
    version = espeak_version()
    texts = [PHRASES[k % len(PHRASES)] for k in range(count)]
    if version is not None:
        raw = []
        for x in _espeak_all(texts):
            voiced = np.nonzero(np.abs(x) > 0.01)[0]
            raw.append(x[max(0, voiced[0] - int(0.06 * SAMPLE_RATE)):] if voiced.size else x)  # trim leading silence
        how = [f"{version}: {t!r}" for t in texts]
    else:
        raw = [_synthetic(n_samples, seed * 1000 + k) for k in range(count)]
        how = ["synthetic (espeak-ng not installed)"] * count
    out = []
    for x, h in zip(raw, how):
        x = np.concatenate([x, np.zeros(max(0, n_samples - len(x)))])[:n_samples]
        peak = float(np.abs(x).max()) or 1.0
        out.append((np.round(x / peak * 0.7 * 32767).astype(np.int16), h))
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
