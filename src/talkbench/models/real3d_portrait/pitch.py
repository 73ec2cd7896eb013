"""The f0 contour Real3D-Portrait's pitch-conditioned A2M reads (data_gen/utils/process_audio/extract_mel_f0.py).

Upstream facts: 16 kHz audio, hop 320 samples (50 Hz, HuBERT's frame rate), Praat's autocorrelation
pitch tracker through `parselmouth` (`Sound.to_pitch_ac(time_step=0.02, voicing_threshold=0.6,
pitch_floor=80, pitch_ceiling=750)`, unvoiced frames = 0 Hz) run on the waveform right-padded with zeros to
(n // 320 + 1)·320 samples; the contour is then cut or extended (repeating its last value) to the frame
count of the mel spectrogram computed next to it (librosa STFT, n_fft 512, hop 320, center=False, i.e.
1 + (n - 512) // 320 frames). We use the same package (`praat-parselmouth`, the `offline` extra) so the
contour is Praat's; the mel spectrogram itself is not needed, only its length. The 300-row pitch
embedding's bucketing (`f0_to_coarse`) lives with the A2M model (audio2motion.py).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from ...errors import TalkbenchError


@dataclass(frozen=True)
class PitchSettings:
    sample_rate: int = 16000
    hop: int = 320
    n_fft: int = 512          # only decides the reference frame count (mel spectrogram length)
    f0_min: float = 80.0
    f0_max: float = 750.0
    voicing_threshold: float = 0.6

    def to_dict(self) -> dict:
        return asdict(self)


def mel_frame_count(n_samples: int, settings: PitchSettings = PitchSettings()) -> int:
    """Frames of an un-centred STFT: 1 + (n - n_fft) // hop (0 when shorter than one window)."""
    return 0 if n_samples < settings.n_fft else 1 + (n_samples - settings.n_fft) // settings.hop


def _as_float(samples: np.ndarray) -> np.ndarray:
    x = np.asarray(samples)
    return x.astype(np.float64) / 32768.0 if x.dtype == np.int16 else x.astype(np.float64)


def extract_f0(samples: np.ndarray, settings: PitchSettings = PitchSettings()) -> np.ndarray:
    """Mono samples at `settings.sample_rate` (int16 or float in [-1, 1]) -> f0 in Hz per hop, 0 = unvoiced."""
    try:
        import parselmouth
    except ImportError as exc:
        raise TalkbenchError("the Real3D-Portrait pitch contour needs Praat's pitch tracker: "
                             "pip install praat-parselmouth (part of talkbench's `offline` extra)") from exc
    wav = _as_float(samples)
    n = len(wav)
    target = mel_frame_count(n, settings)
    padded = np.pad(wav, (0, (n // settings.hop + 1) * settings.hop - n))
    pitch = parselmouth.Sound(padded, settings.sample_rate).to_pitch_ac(
        time_step=settings.hop / settings.sample_rate, voicing_threshold=settings.voicing_threshold,
        pitch_floor=settings.f0_min, pitch_ceiling=settings.f0_max)
    f0 = np.asarray(pitch.selected_array["frequency"], dtype=np.float64)
    if len(f0) < target:
        fill = f0[-1] if len(f0) else 0.0
        f0 = np.concatenate([f0, np.full(target - len(f0), fill)])
    return f0[:target]


def fit_length(f0: np.ndarray, n_frames: int) -> np.ndarray:
    """As the inference script aligns f0 with the (padded) HuBERT frames: cut, or pad with 0 (unvoiced)."""
    f0 = np.asarray(f0, dtype=np.float64)
    return f0[:n_frames] if len(f0) >= n_frames else np.pad(f0, (0, n_frames - len(f0)))
