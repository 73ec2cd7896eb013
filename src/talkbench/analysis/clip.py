"""A clip as clip analysers see it: frames, their rate, and the audio (a file or 16 kHz int16 samples)."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .cache import frame_hash


@dataclass
class Clip:
    frames: Any  # a FrameSet or a sequence of uint8 H×W×3 RGB arrays
    fps: float | None = None
    audio: str | Path | np.ndarray | None = None  # a wav / a video with sound, or 16 kHz mono int16 samples
    _track: Any = field(default=None, init=False, repr=False)

    @property
    def arrays(self) -> list[np.ndarray]:
        return list(self.frames.arrays) if hasattr(self.frames, "arrays") else [np.asarray(f) for f in self.frames]

    def samples(self) -> np.ndarray:
        """16 kHz mono int16 audio (decoded here, once per clip analysis)."""
        if self.audio is None:
            raise ValueError("this clip has no audio")
        if isinstance(self.audio, np.ndarray):
            return self.audio
        return self._decoded().samples

    def audio_description(self) -> dict[str, Any] | None:
        if self.audio is None or isinstance(self.audio, np.ndarray):
            return None
        return self._decoded().describe()

    def _decoded(self):
        if self._track is None:
            from ..io.audio import read_audio

            self._track = read_audio(self.audio)  # InputError naming the file when it has no audio
        return self._track

    def content_hash(self) -> str:
        """sha256 over the frames' content, the fps and the audio's content (file bytes or samples)."""
        h = hashlib.sha256(f"fps={self.fps}".encode())
        for f in self.arrays:
            h.update(frame_hash(f).encode())
        if isinstance(self.audio, np.ndarray):
            h.update(b"samples")
            h.update(frame_hash(np.asarray(self.audio)).encode())
        elif self.audio is not None:
            from ..io.hashing import sha256_file

            h.update(b"file")
            h.update(sha256_file(self.audio).encode())
        return h.hexdigest()


SYNC_FPS = 25.0
SAMPLES_PER_FRAME = 640  # 16000 / 25


def resample_indices(n_frames: int, src_fps: float, dst_fps: float = SYNC_FPS) -> np.ndarray:
    """Source frame index for each output frame at dst_fps (nearest in time, like ffmpeg -r)."""
    n_out = int(round(n_frames * dst_fps / src_fps))
    idx = np.floor(np.arange(n_out) * src_fps / dst_fps + 0.5).astype(np.int64)
    return np.clip(idx, 0, n_frames - 1)


def frames_at_25fps(clip: Clip) -> tuple[list[np.ndarray], bool]:
    """The clip's frames resampled to 25 fps when its rate differs (nearest frame), and whether it did."""
    frames = clip.arrays
    if clip.fps is not None and abs(clip.fps - SYNC_FPS) > 1e-3:
        return [frames[i] for i in resample_indices(len(frames), clip.fps, SYNC_FPS)], True
    return frames, False
