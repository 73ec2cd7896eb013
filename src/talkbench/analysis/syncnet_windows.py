"""SyncNet window embeddings of a clip (the analysis under LSE-D / LSE-C; specs/metrics.md §4).

frames (resampled to 25 fps if needed) → face crops (`track`: detector + largest-face track + smoothed
reference crop; `fullframe`: whole frame resized to 224, the LRS script) → 5-frame BGR 0–255 windows;
audio → 16 kHz mono int16 → MFCC (13 × 100 Hz) → 13×20 windows at 4 columns per frame; embeddings of
windows i = 0 … N−1 with N = min(#frames, ⌊#samples/640⌋) − 5. The record holds the N×1024 video and
audio embeddings (float64) and what was done; the metrics compute the offset curve from them.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import torch

from ..errors import InputError
from .base import ClipAnalyser
from .clip import SAMPLES_PER_FRAME, Clip, frames_at_25fps
from .records import FrameRecord

MFCC_PER_FRAME = 4
WINDOW_FRAMES = 5
MFCC_WINDOW = 20
MODES = ("track", "fullframe")
#: options that choose what is computed (batch_size only groups the work)
DEFAULTS: dict[str, Any] = {"mode": "track", "detector": "mediapipe", "min_track": 100, "min_face_size": 100.0,
                            "crop_scale": 0.40, "smooth_kernel": 13, "weights": "official", "seed": 0}


class TooShortError(ValueError):
    """The clip yields no complete 5-frame window; the message is the per-item missing reason."""


def n_windows(n_frames: int, n_samples: int) -> int:
    """Number of 5-frame windows the reference scores: min(#frames, ⌊#samples/640⌋) − 5."""
    return min(n_frames, n_samples // SAMPLES_PER_FRAME) - WINDOW_FRAMES


def audio_windows(mfcc_cols: np.ndarray, start: int, stop: int) -> torch.Tensor:
    """(stop−start)×1×13×20 MFCC windows for video frames start … stop−1 (mfcc_cols is 13×T)."""
    wins = [mfcc_cols[:, MFCC_PER_FRAME * i:MFCC_PER_FRAME * i + MFCC_WINDOW] for i in range(start, stop)]
    return torch.from_numpy(np.stack(wins)[:, None].astype(np.float32))


def video_windows(crops_bgr: Sequence[np.ndarray], start: int, stop: int) -> torch.Tensor:
    """(stop−start)×3×5×224×224 float windows of BGR 0–255 crops for frames start … stop−1."""
    frames = np.stack(crops_bgr[start:stop + WINDOW_FRAMES - 1]).astype(np.float32)  # T×H×W×3
    clip = torch.from_numpy(frames).permute(3, 0, 1, 2)  # 3×T×H×W
    return torch.stack([clip[:, i:i + WINDOW_FRAMES] for i in range(stop - start)])


@torch.inference_mode()
def embed_windows(net: Any, crops_bgr: Sequence[np.ndarray], mfcc_cols: np.ndarray, n: int,
                  batch_size: int = 20) -> tuple[np.ndarray, np.ndarray]:
    """N×D video and audio embeddings (float64) of a SyncNet (forward_lip / forward_audio)."""
    vid, aud = [], []
    for start in range(0, n, batch_size):
        stop = min(start + batch_size, n)
        vid.append(net.forward_lip(video_windows(crops_bgr, start, stop)).double().numpy())
        aud.append(net.forward_audio(audio_windows(mfcc_cols, start, stop)).double().numpy())
    return np.concatenate(vid), np.concatenate(aud)


def fullframe_crops(frames_rgb: Sequence[np.ndarray], size: int = 224) -> list[np.ndarray]:
    import cv2

    return [cv2.resize(np.ascontiguousarray(f[:, :, ::-1]), (size, size)) for f in frames_rgb]


def face_crops(frames_rgb: list[np.ndarray], options: dict[str, Any], stage) -> tuple[list[np.ndarray], int, dict]:
    """BGR 224×224 crops, the index of the first frame they cover, and what was done (for the record)."""
    if options["mode"] == "fullframe":
        return fullframe_crops(frames_rgb), 0, {"crop": "whole frame resized to 224×224"}
    from ..faces.detection import FaceBox
    from ..faces.tracking import TrackConfig, main_track, track_crops

    tcfg = TrackConfig(min_track=options["min_track"], min_face_size=options["min_face_size"],
                       smooth_kernel=options["smooth_kernel"], crop_scale=options["crop_scale"])
    records = stage.run(f"faces:{options['detector']}", frames_rgb)
    detections = [[FaceBox.from_dict(d) for d in rec["faces"]] if rec.ok else [] for rec in records]
    track = main_track(detections, tcfg)
    bgr = [np.ascontiguousarray(f[:, :, ::-1]) for f in frames_rgb]
    info = {"crop": f"track crop scale {options['crop_scale']}", "detector": options["detector"],
            "track_start": track.start, "track_frames": len(track), "interpolated_frames": int((~track.detected).sum())}
    return track_crops(bgr, track, tcfg), track.start, info


def short_reason(n_frames: int, n_samples: int) -> str:
    return (f"too short for SyncNet: {n_frames} frames at 25 fps and {n_samples / 16000:.2f} s of audio give "
            f"{max(n_windows(n_frames, n_samples), 0)} windows; at least {WINDOW_FRAMES + 1} frames (and as much "
            "audio) are needed")


class SyncNetWindowsAnalyser(ClipAnalyser):
    """Clip analysis `syncnet`: {"video": N×1024, "audio": N×1024, "info": {...}} or the reason it is missing."""

    name = "syncnet"

    def __init__(self, batch_size: int = 20, **options: Any):
        unknown = set(options) - set(DEFAULTS)
        if unknown:
            raise TypeError(f"syncnet analysis got unknown options {sorted(unknown)}; known: {sorted(DEFAULTS)}")
        self.options = {**DEFAULTS, **options}
        if self.options["mode"] not in MODES:
            raise ValueError(f"SyncNet preprocessing mode must be one of {MODES}, got {self.options['mode']!r}")
        self.batch_size = batch_size
        if self.options["mode"] == "track":
            self.needs = f"faces:{self.options['detector']}"  # the detector's fingerprint joins this one's

    def loaded(self):
        from ..nets.syncnet import pooled_syncnet

        return pooled_syncnet(self.options["weights"], int(self.options["seed"]))

    def backbone_fingerprint(self):
        return self.loaded().fingerprint()

    def options_fingerprint(self):
        return dict(self.options)

    def analyse_clip(self, clip: Clip, stage) -> FrameRecord:
        from ..faces.tracking import NoTrackError

        try:
            return FrameRecord(value=self.embeddings(clip, stage))
        except (TooShortError, NoTrackError, InputError) as exc:
            return FrameRecord.missing_because(str(exc))

    def embeddings(self, clip: Clip, stage) -> dict[str, Any]:
        from ..nets.mfcc import mfcc

        frames, resampled = frames_at_25fps(clip)
        info: dict[str, Any] = {"mode": self.options["mode"], "source_fps": clip.fps, "resampled_to_25fps": resampled,
                                "frames_25fps": len(frames)}
        audio = clip.samples()
        if n_windows(len(frames), len(audio)) < 1:
            raise TooShortError(short_reason(len(frames), len(audio)))
        crops, first, crop_info = face_crops(frames, self.options, stage)
        info.update(crop_info)
        clip_audio = np.asarray(audio)[first * SAMPLES_PER_FRAME:(first + len(crops)) * SAMPLES_PER_FRAME]
        n = n_windows(len(crops), len(clip_audio))
        if n < 1:
            raise TooShortError(short_reason(len(crops), len(clip_audio)))
        vid, aud = embed_windows(self.loaded().network, crops, mfcc(clip_audio).T, n, self.batch_size)
        described = clip.audio_description()
        if described is not None:
            info["audio"] = described
        return {"video": vid, "audio": aud, "info": info}
