"""Mouth analyses: the opening per frame (mediapipe mesh) and, per clip, opening and audio energy at 25 fps.

  mouth[@<detector>]         {"opening": |v14 − v13| / |v291 − v61|} of the largest face's 478-point mesh
  mouth-audio[@<detector>]   {"mouth": opening per 25 fps frame (NaN without a face or mesh),
                              "envelope": RMS of each 640-sample block of the 16 kHz audio, one per frame}
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .base import ClipAnalyser, FrameAnalyser, passthrough_missing
from .clip import SAMPLES_PER_FRAME, Clip, frames_at_25fps
from .records import FrameRecord


def energy_envelope(samples: np.ndarray, n_frames: int, block: int = SAMPLES_PER_FRAME) -> np.ndarray:
    """RMS of each `block`-sample chunk for frames 0 … n_frames−1 (NaN past the end of the audio)."""
    x = np.asarray(samples, dtype=np.float64)
    n_full = min(n_frames, len(x) // block)
    env = np.full(n_frames, np.nan)
    if n_full:
        env[:n_full] = np.sqrt((x[:n_full * block].reshape(n_full, block) ** 2).mean(axis=1))
    return env


class MouthOpeningAnalyser(FrameAnalyser):
    def __init__(self, detector: str = "mediapipe"):
        self.name = f"mouth@{detector}"
        self.needs = f"landmarks:mediapipe-478@{detector}"

    def backbone_fingerprint(self):
        return {"id": "mouth-opening-v13-v14-over-v61-v291"}

    def analyse(self, frames, inputs):
        from ..faces.mouth import mouth_opening

        return passthrough_missing(inputs, lambda i: FrameRecord(value={"opening": mouth_opening(np.asarray(inputs[i]["points"]))}))


class MouthAudioAnalyser(ClipAnalyser):
    def __init__(self, detector: str = "mediapipe"):
        self.detector = detector
        self.name = f"mouth-audio@{detector}"
        self.needs = f"mouth@{detector}"  # its fingerprint (mesh + detector) is part of this one's

    def backbone_fingerprint(self):
        return {"id": "mouth-audio-series"}

    def analyse_clip(self, clip: Clip, stage) -> FrameRecord:
        from ..errors import InputError

        try:
            samples = clip.samples()
        except InputError as exc:
            return FrameRecord.missing_because(str(exc))
        frames, resampled = frames_at_25fps(clip)
        mouth = np.array([rec["opening"] if rec.ok else np.nan for rec in stage.run(f"mouth@{self.detector}", frames)],
                         dtype=np.float64)
        info: dict[str, Any] = {"source_fps": clip.fps, "resampled_to_25fps": resampled, "frames_25fps": len(frames)}
        return FrameRecord(value={"mouth": mouth, "envelope": energy_envelope(samples, len(frames)), "info": info})
