"""MFCC exactly as python_speech_features 0.6 ``mfcc(signal, 16000)`` computes it (SyncNet's audio input).

Steps, with the library defaults the SyncNet reference relies on:
pre-emphasis y[0] = x[0], y[n] = x[n] − 0.97·x[n−1]; frames of round(0.025·sr) = 400 samples every
round(0.01·sr) = 160 samples (100 frames/s), the last frame zero-padded; rectangular window; power
spectrum |rfft(frame, 512)|² / 512; frame energy = sum of that power spectrum; 26 triangular mel filters
on FFT bins floor((nfft + 1)·mel2hz(m)/sr); log (zeros replaced by machine eps first); orthonormal
DCT-II, first 13 coefficients; lifter 1 + (22/2)·sin(πn/22); coefficient 0 replaced by log energy.
Raw int16 sample values go in (no rescaling to [−1, 1]), as in the reference.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

import numpy as np
from scipy.fft import dct


@dataclass(frozen=True)
class MFCCConfig:
    sample_rate: int = 16000
    winlen: float = 0.025
    winstep: float = 0.01
    numcep: int = 13
    nfilt: int = 26
    nfft: int = 512
    lowfreq: float = 0.0
    highfreq: float | None = None  # None: sample_rate / 2
    preemph: float = 0.97
    ceplifter: int = 22
    append_energy: bool = True


def _round_half_up(x: float) -> int:
    return int(Decimal(x).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def hz_to_mel(hz):
    return 2595.0 * np.log10(1.0 + np.asarray(hz) / 700.0)


def mel_to_hz(mel):
    return 700.0 * (10.0 ** (np.asarray(mel) / 2595.0) - 1.0)


@lru_cache(maxsize=8)
def mel_filterbank(nfilt: int, nfft: int, sample_rate: int, lowfreq: float, highfreq: float) -> np.ndarray:
    """nfilt × (nfft/2 + 1) triangular filters on integer FFT bins."""
    if highfreq > sample_rate / 2:
        raise ValueError(f"highfreq {highfreq} exceeds the Nyquist frequency {sample_rate / 2}")
    mels = np.linspace(hz_to_mel(lowfreq), hz_to_mel(highfreq), nfilt + 2)
    edges = np.floor((nfft + 1) * mel_to_hz(mels) / sample_rate)
    bins = np.arange(nfft // 2 + 1, dtype=np.float64)
    fb = np.zeros((nfilt, nfft // 2 + 1))
    for j in range(nfilt):
        lo, mid, hi = edges[j], edges[j + 1], edges[j + 2]
        rising = (bins >= lo) & (bins < mid)
        falling = (bins >= mid) & (bins < hi)
        fb[j, rising] = (bins[rising] - lo) / (mid - lo)
        fb[j, falling] = (hi - bins[falling]) / (hi - mid)
    fb.setflags(write=False)
    return fb


def frame_signal(signal: np.ndarray, frame_len: int, frame_step: int) -> np.ndarray:
    """Overlapping frames (n_frames × frame_len); the tail is zero-padded to complete the last frame."""
    n = len(signal)
    n_frames = 1 if n <= frame_len else 1 + int(math.ceil((n - frame_len) / frame_step))
    padded = np.zeros((n_frames - 1) * frame_step + frame_len, dtype=np.float64)
    padded[:n] = signal
    starts = np.arange(n_frames) * frame_step
    return padded[starts[:, None] + np.arange(frame_len)[None, :]]


def mfcc(signal: np.ndarray, cfg: MFCCConfig = MFCCConfig()) -> np.ndarray:
    """n_frames × numcep MFCC (float64) of a 1-D signal (int16 values are used as they are)."""
    x = np.asarray(signal)
    if x.ndim != 1:
        raise ValueError(f"mfcc expects a mono 1-D signal, got shape {x.shape}")
    if x.size == 0:
        raise ValueError("mfcc got an empty signal")
    x = x.astype(np.float64)
    emph = np.concatenate([x[:1], x[1:] - cfg.preemph * x[:-1]])
    frames = frame_signal(emph, _round_half_up(cfg.winlen * cfg.sample_rate), _round_half_up(cfg.winstep * cfg.sample_rate))
    power = np.abs(np.fft.rfft(frames, cfg.nfft)) ** 2 / cfg.nfft
    eps = np.finfo(np.float64).eps
    energy = power.sum(axis=1)
    energy = np.where(energy == 0, eps, energy)
    fb = mel_filterbank(cfg.nfilt, cfg.nfft, cfg.sample_rate, float(cfg.lowfreq),
                        float(cfg.highfreq or cfg.sample_rate / 2))
    feat = power @ fb.T
    feat = np.where(feat == 0, eps, feat)
    cep = dct(np.log(feat), type=2, axis=1, norm="ortho")[:, : cfg.numcep]
    if cfg.ceplifter > 0:
        n = np.arange(cep.shape[1])
        cep = cep * (1.0 + (cfg.ceplifter / 2.0) * np.sin(np.pi * n / cfg.ceplifter))
    if cfg.append_energy:
        cep[:, 0] = np.log(energy)
    return cep
