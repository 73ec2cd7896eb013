"""Facial landmarks: iBUG-68 points (three backbones) and the 478-point mediapipe mesh.

Registered landmarkers (``get_landmarker(name)``), each its own backbone id:
  fan-68         face-alignment 2DFAN-4 (+ S3FD weights, which its constructor loads), flip_input=False;
                 MissingWeightsError when its files are not in the torch hub cache
  mediapipe-68   the iBUG-68 subset of the mediapipe mesh (offline; NOT the same points as FAN's)
  dlib-68        dlib's shape_predictor_68_face_landmarks (face-recognition-models)
  mediapipe-478  the full mesh, (x, y, z) per point

A landmarker takes one frame and its face boxes (from a FaceDetector) and returns one array (or
None when that face yields no landmarks) per box, in frame pixels.
"""
from __future__ import annotations

import abc
from typing import Any, ClassVar

import numpy as np

from ..lazy import Registry
from .detection import FaceBox

#: mediapipe mesh vertex for each iBUG-68 point: jaw 0–16, brows 17–26, nose 27–35, eyes 36–47,
#: outer lips 48–59, inner lips 60–67 (iBUG order; "left" = image left for an unmirrored face)
MEDIAPIPE_TO_IBUG68 = (
    127, 234, 93, 132, 58, 136, 150, 176, 152, 400, 379, 365, 288, 361, 323, 454, 356,
    70, 63, 105, 66, 107, 336, 296, 334, 293, 300,
    168, 197, 5, 4, 75, 97, 2, 326, 305,
    33, 160, 158, 133, 153, 144, 362, 385, 387, 263, 373, 380,
    61, 39, 37, 0, 267, 269, 291, 405, 314, 17, 84, 181,
    78, 82, 13, 312, 308, 317, 14, 87,
)

MOUTH = slice(48, 68)


class Landmarker(abc.ABC):
    id: ClassVar[str]
    n_points: ClassVar[int]
    preprocessing_version: ClassVar[str] = "1"

    @property
    @abc.abstractmethod
    def weights_sha256(self) -> str: ...

    @abc.abstractmethod
    def __call__(self, frame: np.ndarray, boxes: list[FaceBox]) -> list[np.ndarray | None]: ...


class MediapipeMeshLandmarker(Landmarker):
    n_points = 478

    def __init__(self) -> None:
        from .mesh import shared_mesh

        self._mesh = shared_mesh()
        self.id = self._mesh.id

    @property
    def weights_sha256(self) -> str:
        return self._mesh.weights_sha256

    def __call__(self, frame, boxes):
        return self._mesh(frame, boxes)


class Mediapipe68Landmarker(MediapipeMeshLandmarker):
    n_points = 68

    def __init__(self) -> None:
        super().__init__()
        self.id = f"{self._mesh.id}-ibug68"

    def __call__(self, frame, boxes):
        return [None if m is None else m[list(MEDIAPIPE_TO_IBUG68), :2].copy() for m in self._mesh(frame, boxes)]


class Dlib68Landmarker(Landmarker):
    n_points = 68

    def __init__(self) -> None:
        from .dlib_models import dlib_version

        self.id = f"dlib-shape-predictor-68-{dlib_version()}"

    @property
    def weights_sha256(self) -> str:
        from .dlib_models import SHAPE_68, model_sha256

        return model_sha256(SHAPE_68)

    def __call__(self, frame, boxes):
        from .dlib_models import shape_predictor_68, shape_to_array, to_rectangle

        predictor = shape_predictor_68()
        return [shape_to_array(predictor(frame, to_rectangle(b))) for b in boxes]


class FAN68Landmarker(Landmarker):
    """face-alignment 1.5.0 FAN (2DFAN-4), run on the given boxes; flip_input=False (pose-evaluation)."""

    n_points = 68
    id = "fan-2dfan4-fa1.5.0"

    def __init__(self) -> None:
        from ..weights.store import verified_weights

        self._fan_file = verified_weights("fan_2d")
        self._s3fd_file = verified_weights("s3fd")  # FaceAlignment loads its detector at construction
        import face_alignment

        self._fa = face_alignment.FaceAlignment(face_alignment.LandmarksType.TWO_D, flip_input=False, device="cpu")

    @property
    def weights_sha256(self) -> str:
        return self._fan_file.sha256

    def __call__(self, frame, boxes):
        if not boxes:
            return []
        dets = [np.array([b.x0, b.y0, b.x1, b.y1, b.score]) for b in boxes]
        out = self._fa.get_landmarks_from_image(frame, detected_faces=dets)
        if out is None:
            return [None] * len(boxes)
        return [np.asarray(p, dtype=np.float64)[:, :2] for p in out]


LANDMARKERS: Registry[type[Landmarker]] = Registry("landmarker", {
    "fan-68": "talkbench.faces.landmarks:FAN68Landmarker",
    "mediapipe-68": "talkbench.faces.landmarks:Mediapipe68Landmarker",
    "dlib-68": "talkbench.faces.landmarks:Dlib68Landmarker",
    "mediapipe-478": "talkbench.faces.landmarks:MediapipeMeshLandmarker",
})

def get_landmarker(name: str) -> Landmarker:
    """A landmarker by registered name, built once per process (nets.pool)."""
    from ..nets.pool import POOL

    LANDMARKERS.target(name)  # UnknownNameError with a did-you-mean before anything loads
    return POOL.get(f"landmarker:{name}", lambda: (None, lambda: LANDMARKERS.create(name))).network


def get_face_mesh() -> Landmarker:
    """The 478-point mediapipe mesh (offline)."""
    return get_landmarker("mediapipe-478")


def list_landmarkers() -> list[str]:
    return LANDMARKERS.names()


def landmarks_for(name: str, frame: np.ndarray, boxes: list[FaceBox]) -> list[Any]:
    return get_landmarker(name)(frame, boxes)
