"""The mediapipe 478-point face mesh (FaceMesh with iris refinement), run on a crop around a face box.

FaceMesh's own detector is BlazeFace short-range, which misses small faces in large frames, so
the mesh always runs on a square crop (twice the box size) around a box from a FaceDetector and
its points are mapped back to frame pixels. z is in the same pixel scale as x (mediapipe's
convention: relative depth, scaled by the crop width), negative towards the camera.
"""
from __future__ import annotations

from typing import ClassVar

import numpy as np

from .detection import FaceBox
from .mediapipe_files import MEDIAPIPE_VERSION, MESH_WITH_ATTENTION, SHORT_RANGE_DETECTOR, files_sha256

#: mesh indices of the insightface five points: image-left iris centre, image-right iris centre,
#: nose tip, image-left mouth corner, image-right mouth corner (for an unmirrored face)
MESH_POINTS5 = (468, 473, 1, 61, 291)


def square_crop(frame: np.ndarray, box: FaceBox, scale: float = 2.0) -> tuple[np.ndarray, float, float]:
    """A square crop of side scale×max(w, h) centred on the box, zero-padded; returns (crop, x0, y0)."""
    cx, cy = box.center
    side = int(round(scale * max(box.width, box.height)))
    side = max(side, 16)
    x0, y0 = int(round(cx - side / 2)), int(round(cy - side / 2))
    h, w = frame.shape[:2]
    crop = np.zeros((side, side, 3), dtype=np.uint8)
    sx0, sy0, sx1, sy1 = max(x0, 0), max(y0, 0), min(x0 + side, w), min(y0 + side, h)
    if sx1 > sx0 and sy1 > sy0:
        crop[sy0 - y0:sy1 - y0, sx0 - x0:sx1 - x0] = frame[sy0:sy1, sx0:sx1]
    return crop, float(x0), float(y0)


class MediapipeMesh:
    """478 points (x, y, z) per face box, in frame pixels."""

    id: ClassVar[str] = f"mediapipe-facemesh-refined-{MEDIAPIPE_VERSION}"
    preprocessing_version: ClassVar[str] = "1"
    n_points: ClassVar[int] = 478

    def __init__(self, crop_scale: float = 2.0, min_confidence: float = 0.5):
        import mediapipe as mp

        self.crop_scale = crop_scale
        self._mesh = mp.solutions.face_mesh.FaceMesh(
            static_image_mode=True, max_num_faces=2, refine_landmarks=True, min_detection_confidence=min_confidence
        )

    @property
    def weights_sha256(self) -> str:
        return files_sha256(SHORT_RANGE_DETECTOR, MESH_WITH_ATTENTION)

    def mesh_for_box(self, frame: np.ndarray, box: FaceBox) -> np.ndarray | None:
        """478×3 float64 points of the face in `box`, or None when the mesh finds no face there."""
        crop, ox, oy = square_crop(frame, box, self.crop_scale)
        result = self._mesh.process(crop)
        if not result.multi_face_landmarks:
            return None
        side = crop.shape[0]
        meshes = [
            np.array([(p.x, p.y, p.z) for p in face.landmark], dtype=np.float64) * side
            for face in result.multi_face_landmarks
        ]
        # with two faces in the crop, keep the one nearest the crop centre (the boxed face)
        best = min(meshes, key=lambda m: float(np.sum((m[:, :2].mean(axis=0) - side / 2) ** 2)))
        best[:, 0] += ox
        best[:, 1] += oy
        return best

    def __call__(self, frame: np.ndarray, boxes: list[FaceBox]) -> list[np.ndarray | None]:
        return [self.mesh_for_box(frame, b) for b in boxes]


def shared_mesh(crop_scale: float = 2.0, min_confidence: float = 0.5) -> MediapipeMesh:
    """The process's face mesh (one mediapipe graph per option set, through nets.pool): the detector's
    five points, the 68- and 478-point landmarkers all run this one."""
    from ..nets.pool import POOL

    key = f"{MediapipeMesh.id};crop_scale={crop_scale};min_confidence={min_confidence}"
    return POOL.get(key, lambda: (None, lambda: MediapipeMesh(crop_scale, min_confidence))).network


def points5_from_mesh(mesh: np.ndarray) -> np.ndarray:
    return np.asarray(mesh[list(MESH_POINTS5), :2], dtype=np.float64)
