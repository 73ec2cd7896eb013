"""mediapipe BlazeFace short-range (0.10.21 wheel): offline, the default detector.

The short-range model expects faces that fill a good part of its 128×128 input, so frames larger
than `tile` pixels are also scanned in tile×tile windows at stride tile/2 and all boxes are
merged with NMS. The five points come from the 478-point mesh run on each box (BlazeFace's own
six keypoints have no mouth corners); they are None when the mesh fails on that box.
"""
from __future__ import annotations

import numpy as np

from ..detection import FaceBox, FaceDetector, non_max_suppression
from ..mediapipe_files import MEDIAPIPE_VERSION, MESH_WITH_ATTENTION, SHORT_RANGE_DETECTOR, files_sha256

_KEYPOINT_NAMES = ("right_eye", "left_eye", "nose_tip", "mouth_center", "right_ear_tragion", "left_ear_tragion")


def tile_origins(length: int, tile: int) -> list[int]:
    if length <= tile:
        return [0]
    starts = list(range(0, length - tile + 1, tile // 2))
    if starts[-1] + tile < length:
        starts.append(length - tile)
    return starts


class BlazeFaceDetector(FaceDetector):
    id = f"mediapipe-blazeface-short-{MEDIAPIPE_VERSION}"
    preprocessing_version = "1"

    def __init__(self, min_confidence: float = 0.5, tile: int = 512, iou_threshold: float = 0.3, points5: bool = True):
        import mediapipe as mp

        self.min_confidence = min_confidence
        self.tile = tile
        self.iou_threshold = iou_threshold
        self.with_points5 = points5
        self._detector = mp.solutions.face_detection.FaceDetection(model_selection=0, min_detection_confidence=min_confidence)
        self._mesh = None

    @property
    def weights_sha256(self) -> str:
        if self.with_points5:
            return files_sha256(SHORT_RANGE_DETECTOR, MESH_WITH_ATTENTION)
        return files_sha256(SHORT_RANGE_DETECTOR)

    def _run(self, image: np.ndarray, ox: int, oy: int) -> list[FaceBox]:
        h, w = image.shape[:2]
        result = self._detector.process(np.ascontiguousarray(image))
        faces = []
        for det in result.detections or []:
            rb = det.location_data.relative_bounding_box
            x0, y0 = ox + rb.xmin * w, oy + rb.ymin * h
            kps = {n: (ox + k.x * w, oy + k.y * h) for n, k in zip(_KEYPOINT_NAMES, det.location_data.relative_keypoints)}
            faces.append(FaceBox(x0, y0, x0 + rb.width * w, y0 + rb.height * h, float(det.score[0]), None, kps))
        return faces

    def detect_one(self, frame: np.ndarray) -> list[FaceBox]:
        h, w = frame.shape[:2]
        faces = self._run(frame, 0, 0)
        if max(h, w) > self.tile:
            for y in tile_origins(h, self.tile):
                for x in tile_origins(w, self.tile):
                    faces += self._run(frame[y:y + self.tile, x:x + self.tile], x, y)
        faces = non_max_suppression(faces, self.iou_threshold)
        if self.with_points5:
            from ..mesh import points5_from_mesh, shared_mesh

            if self._mesh is None:
                self._mesh = shared_mesh()
            for f in faces:
                mesh = self._mesh.mesh_for_box(frame, f)
                f.points5 = None if mesh is None else points5_from_mesh(mesh)
        return faces
