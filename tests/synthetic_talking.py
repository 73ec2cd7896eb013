"""A synthetic talking clip for the audio-visual tests: a real face photo whose mouth opens with an envelope.

The face is scikit-image's `astronaut` (a real photograph, so mediapipe detects it and fits its mesh).
Opening a ∈ [0, 1] drops the lower lip / jaw with a smooth vertical warp and paints a dark mouth
cavity between the lips. The audio is a 220 Hz + 660 Hz tone whose amplitude follows the same
envelope, optionally delayed by `audio_delay` frames (positive: the audio lags the video).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

FPS = 25
SR = 16000


def base_face(size: int = 256) -> np.ndarray:
    import cv2
    import skimage.data

    img = skimage.data.astronaut()[40:232, 126:318]
    return cv2.resize(img, (size, size), interpolation=cv2.INTER_AREA)


def open_mouth(img: np.ndarray, a: float, mouth=(0.505, 0.566), width: float = 0.17, depth: float = 0.07) -> np.ndarray:
    import cv2

    h, w = img.shape[:2]
    mx, my = mouth[0] * w, mouth[1] * h
    drop = a * depth * h
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    fx = np.clip(1 - ((xs - mx) / (width * w * 1.6)) ** 2, 0, 1)
    fy = np.where(ys >= my, np.clip(1 - (ys - my) / (0.25 * h), 0, 1), 0)
    out = cv2.remap(img, xs, (ys - drop * fx * fy).astype(np.float32), cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    if drop > 0.5:
        cv2.ellipse(out, (int(round(mx)), int(round(my + drop / 2))), (int(width * w * 0.5), max(1, int(drop / 2))),
                    0, 0, 360, (60, 20, 25), -1, cv2.LINE_AA)
    return out


def syllable_envelope(n_frames: int, seed: int = 0) -> np.ndarray:
    """Random on/off 'syllables' of 3–7 frames, smoothed, in [0, 1]."""
    rng = np.random.default_rng(seed)
    env = np.zeros(n_frames)
    t = 0
    while t < n_frames:
        length = int(rng.integers(3, 8))
        env[t:t + length] = rng.uniform(0.5, 1.0) if rng.random() < 0.6 else 0.0
        t += length
    return np.convolve(env, [0.25, 0.5, 0.25], mode="same").clip(0, 1)


def tone_audio(envelope: np.ndarray, delay: int = 0) -> np.ndarray:
    """int16 16 kHz audio whose per-frame amplitude is envelope[t − delay]."""
    env = np.concatenate([np.zeros(max(delay, 0)), envelope])[: len(envelope)] if delay >= 0 else \
        np.concatenate([envelope[-delay:], np.zeros(-delay)])
    spf = SR // FPS
    amp = np.interp(np.arange(len(env) * spf) / spf - 0.5, np.arange(len(env)), env)
    t = np.arange(len(amp)) / SR
    carrier = 0.7 * np.sin(2 * np.pi * 220 * t) + 0.3 * np.sin(2 * np.pi * 660 * t)
    return (9000 * amp * carrier).astype(np.int16)


def make_clip(folder: Path, n_frames: int = 60, audio_delay: int = 0, seed: int = 0, size: int = 256,
              name: str = "talk.mp4") -> tuple[Path, np.ndarray]:
    """Write an mp4 with its audio track; returns (path, envelope)."""
    from talkbench.io.audio import mux_audio, write_wav
    from talkbench.io.video import write_video

    folder.mkdir(parents=True, exist_ok=True)
    env = syllable_envelope(n_frames, seed)
    face = base_face(size)
    silent = write_video(folder / f"silent_{name}", [open_mouth(face, a) for a in env], fps=FPS)
    wav = write_wav(folder / f"{Path(name).stem}.wav", tone_audio(env, audio_delay))
    return mux_audio(silent, wav, folder / name), env
