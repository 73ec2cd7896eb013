"""Face detection: a FaceBox per face and a registry of detectors.

Every detector takes uint8 H×W×3 RGB frames and returns, per frame, its faces sorted largest
first. ``points5`` (when the detector gives them) are in image pixels in the insightface order:
image-left eye, image-right eye, nose tip, image-left mouth corner, image-right mouth corner.

Registered detectors (``get_detector(name)``):
  mediapipe   BlazeFace short-range from the mediapipe 0.10.21 wheel (offline default)
  mtcnn       P/R/O-Net with the weights shipped in the facenet-pytorch wheel
  scrfd       insightface SCRFD (det_10g.onnx) from an installed buffalo_l pack
  scrfd-antelopev2  the same detector file from an installed antelopev2 pack
  dlib-hog    dlib's HOG + linear SVM frontal face detector
"""
from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import Any, ClassVar, Sequence

import numpy as np

from ..lazy import Registry


@dataclass
class FaceBox:
    x0: float
    y0: float
    x1: float
    y1: float
    score: float
    points5: np.ndarray | None = None  # 5×2 float64, image pixels (order in the module docstring)
    keypoints: dict[str, Any] = field(default_factory=dict)  # detector-specific extras (named points)

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    @property
    def area(self) -> float:
        return max(self.width, 0.0) * max(self.height, 0.0)

    @property
    def center(self) -> tuple[float, float]:
        return (0.5 * (self.x0 + self.x1), 0.5 * (self.y0 + self.y1))

    def to_dict(self) -> dict[str, Any]:
        return {
            "box": [float(self.x0), float(self.y0), float(self.x1), float(self.y1)],
            "score": float(self.score),
            "points5": None if self.points5 is None else np.asarray(self.points5, dtype=np.float64).tolist(),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "FaceBox":
        p5 = d.get("points5")
        return cls(*map(float, d["box"]), float(d["score"]), None if p5 is None else np.asarray(p5, dtype=np.float64))


class FaceDetector(abc.ABC):
    """Detects faces in RGB frames. `id` and `weights_sha256` name exactly what ran (for caches and cards)."""

    id: ClassVar[str]
    #: bump when the detector's pre/post-processing changes its output
    preprocessing_version: ClassVar[str] = "1"

    @property
    @abc.abstractmethod
    def weights_sha256(self) -> str: ...

    @abc.abstractmethod
    def detect_one(self, frame: np.ndarray) -> list[FaceBox]:
        """Faces in one uint8 H×W×3 RGB frame (any order)."""

    def detect(self, frames: Sequence[np.ndarray]) -> list[list[FaceBox]]:
        """Faces per frame, each list sorted largest first."""
        out = []
        for frame in frames:
            frame = check_frame(frame)
            out.append(sort_largest_first(self.detect_one(frame)))
        return out


def check_frame(frame: np.ndarray) -> np.ndarray:
    frame = np.asarray(frame)
    if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3:
        raise ValueError(f"detectors take uint8 H×W×3 RGB frames, got {frame.dtype} {frame.shape}")
    return np.ascontiguousarray(frame)


def sort_largest_first(faces: list[FaceBox]) -> list[FaceBox]:
    return sorted(faces, key=lambda f: (-f.area, -f.score))


def box_iou(a: FaceBox, b: FaceBox) -> float:
    ix = max(0.0, min(a.x1, b.x1) - max(a.x0, b.x0))
    iy = max(0.0, min(a.y1, b.y1) - max(a.y0, b.y0))
    inter = ix * iy
    union = a.area + b.area - inter
    return inter / union if union > 0 else 0.0


def non_max_suppression(faces: list[FaceBox], iou_threshold: float) -> list[FaceBox]:
    """Greedy NMS: keep the highest-scoring box, drop boxes overlapping it by more than the threshold."""
    kept: list[FaceBox] = []
    for f in sorted(faces, key=lambda f: -f.score):
        if all(box_iou(f, k) <= iou_threshold for k in kept):
            kept.append(f)
    return kept


#: name -> "module:Class" (imported lazily so listing names never loads a network)
DETECTORS: Registry[type] = Registry("face detector", {
    "mediapipe": "talkbench.faces.detectors.blazeface:BlazeFaceDetector",
    "mtcnn": "talkbench.faces.detectors.mtcnn:MTCNNDetector",
    "scrfd": "talkbench.faces.detectors.scrfd:SCRFDDetector",
    "scrfd-antelopev2": "talkbench.faces.detectors.scrfd:SCRFDAntelopeDetector",
    "dlib-hog": "talkbench.faces.detectors.dlib_hog:DlibHOGDetector",
})

def get_detector(name: str = "mediapipe", **options: Any) -> FaceDetector:
    """A detector by registered name, built once per process (nets.pool) for each set of options."""
    from ..nets.pool import POOL

    DETECTORS.target(name)  # UnknownNameError with a did-you-mean before anything loads
    suffix = "".join(f";{k}={v}" for k, v in sorted(options.items()))
    return POOL.get(f"face-detector:{name}{suffix}", lambda: (None, lambda: DETECTORS.create(name, **options))).network


def list_detectors() -> list[str]:
    return DETECTORS.names()
