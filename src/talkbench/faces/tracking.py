"""Face tracks for lip-sync scoring, after syncnet_python's ``run_pipeline.py`` (specs/metrics.md §4.3).

Per frame we take the largest detected face. Consecutive detections join one track while their IoU
exceeds 0.5 and no more than ``max_gap`` frames are missing in between; the longest track is kept
(the reference keeps every track; scoring the main speaker is what talking-head evaluation needs).
Gaps inside a track are filled by linear interpolation of the box corners. The crop follows the
reference: half-size s = max(w, h)/2 and centre (x, y) are each median-filtered (kernel 13, zero
padded at the ends as scipy.signal.medfilt does), the frame is padded with grey 110, and the crop
spans rows [y − s, y + s(1 + 2c)] and columns [x − s(1 + c), x + s(1 + c)] with crop scale c = 0.40,
then is resized to 224×224 (bilinear, cv2.INTER_LINEAR).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .detection import FaceBox, box_iou

PAD_VALUE = 110


@dataclass(frozen=True)
class TrackConfig:
    iou_threshold: float = 0.5
    max_gap: int = 25  # run_pipeline num_failed_det
    min_track: int = 100  # a track must have MORE than this many frames (run_pipeline min_track)
    min_face_size: float = 100.0  # mean box side in pixels must exceed this (run_pipeline min_face_size)
    smooth_kernel: int = 13
    crop_scale: float = 0.40
    crop_size: int = 224


@dataclass
class FaceTrack:
    """A contiguous run of frames [start, start + len) with one box per frame (N×4: x0, y0, x1, y1)."""

    start: int
    boxes: np.ndarray
    detected: np.ndarray  # bool per frame: False where the box was interpolated

    def __len__(self) -> int:
        return len(self.boxes)

    @property
    def frames(self) -> range:
        return range(self.start, self.start + len(self))

    @property
    def mean_side(self) -> float:
        w = self.boxes[:, 2] - self.boxes[:, 0]
        h = self.boxes[:, 3] - self.boxes[:, 1]
        return float(max(w.mean(), h.mean()))


class NoTrackError(ValueError):
    """No usable face track; the message is the per-item missing reason."""


def link_largest_faces(detections: Sequence[Sequence[FaceBox]], iou_threshold: float = 0.5, max_gap: int = 25) -> list[FaceTrack]:
    """Tracks of the largest face per frame (detections per frame, largest first), gaps interpolated."""
    runs: list[list[tuple[int, FaceBox]]] = []
    for t, faces in enumerate(detections):
        if not faces:
            continue
        face = faces[0]
        if runs:
            last_t, last = runs[-1][-1]
            if t - last_t - 1 <= max_gap and box_iou(face, last) > iou_threshold:
                runs[-1].append((t, face))
                continue
        runs.append([(t, face)])
    return [_interpolate(run) for run in runs]


def _interpolate(run: list[tuple[int, FaceBox]]) -> FaceTrack:
    ts = np.array([t for t, _ in run])
    boxes = np.array([[f.x0, f.y0, f.x1, f.y1] for _, f in run], dtype=np.float64)
    full_t = np.arange(ts[0], ts[-1] + 1)
    full = np.stack([np.interp(full_t, ts, boxes[:, k]) for k in range(4)], axis=1)
    detected = np.isin(full_t, ts)
    return FaceTrack(int(ts[0]), full, detected)


def main_track(detections: Sequence[Sequence[FaceBox]], cfg: TrackConfig = TrackConfig()) -> FaceTrack:
    """The longest track that passes the reference's length and size filters, or NoTrackError with why."""
    tracks = link_largest_faces(detections, cfg.iou_threshold, cfg.max_gap)
    if not tracks:
        raise NoTrackError(f"no face detected in any of the {len(detections)} frames")
    best = max(tracks, key=lambda tr: (len(tr), tr.mean_side))
    if len(best) <= cfg.min_track:
        raise NoTrackError(f"longest face track has {len(best)} frames; the reference pipeline needs more than "
                           f"{cfg.min_track} (about 4 s at 25 fps)")
    if best.mean_side <= cfg.min_face_size:
        raise NoTrackError(f"face track too small: mean box side {best.mean_side:.0f} px, the reference pipeline "
                           f"needs more than {cfg.min_face_size:.0f} px")
    return best


def smoothed_centres(track: FaceTrack, kernel: int = 13) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Median-filtered half-size s and centre (x, y) per frame of the track."""
    from scipy.signal import medfilt

    b = track.boxes
    s = np.maximum(b[:, 3] - b[:, 1], b[:, 2] - b[:, 0]) / 2.0
    x = (b[:, 0] + b[:, 2]) / 2.0
    y = (b[:, 1] + b[:, 3]) / 2.0
    if kernel > 1:
        s, x, y = (medfilt(v, kernel_size=kernel) for v in (s, x, y))
    return s, x, y


def crop_face(frame: np.ndarray, s: float, x: float, y: float, crop_scale: float = 0.40, size: int = 224) -> np.ndarray:
    """The reference face crop (uint8 H×W×3, same channel order as `frame`) resized to size×size."""
    import cv2

    pad = int(s * (1 + 2 * crop_scale))
    padded = np.pad(frame, ((pad, pad), (pad, pad), (0, 0)), mode="constant", constant_values=PAD_VALUE)
    my, mx = y + pad, x + pad
    face = padded[int(my - s):int(my + s * (1 + 2 * crop_scale)), int(mx - s * (1 + crop_scale)):int(mx + s * (1 + crop_scale))]
    if face.size == 0:
        raise NoTrackError(f"empty face crop (s={s:.1f}, centre=({x:.1f}, {y:.1f}))")
    return cv2.resize(face, (size, size))


def track_crops(frames: Sequence[np.ndarray], track: FaceTrack, cfg: TrackConfig = TrackConfig()) -> list[np.ndarray]:
    """The smoothed reference crops of every frame of the track."""
    s, x, y = smoothed_centres(track, cfg.smooth_kernel)
    return [crop_face(frames[t], s[i], x[i], y[i], cfg.crop_scale, cfg.crop_size) for i, t in enumerate(track.frames)]
