"""dlib's HOG + linear-SVM frontal face detector (built into dlib; no weight file).

Five points come from the iBUG-68 shape predictor: eye centres (mean of each eye's six points),
nose tip (30) and the mouth corners (48, 54).
"""
from __future__ import annotations

import numpy as np

from ...io.hashing import sha256_bytes
from ..detection import FaceBox, FaceDetector
from ..dlib_models import SHAPE_68, dlib_version, hog_detector, model_sha256, shape_predictor_68, shape_to_array, to_rectangle


def points5_from_68(pts: np.ndarray) -> np.ndarray:
    return np.stack([pts[36:42].mean(axis=0), pts[42:48].mean(axis=0), pts[30], pts[48], pts[54]]).astype(np.float64)


class DlibHOGDetector(FaceDetector):
    preprocessing_version = "1"

    def __init__(self, upsample: int = 1, points5: bool = True):
        self.upsample = upsample
        self.with_points5 = points5
        self.id = f"dlib-hog-{dlib_version()}-up{upsample}"
        self._detector = hog_detector()

    @property
    def weights_sha256(self) -> str:
        # the HOG model is compiled into dlib: its fingerprint is the dlib version (+ the 68 predictor)
        parts = f"dlib {dlib_version()} frontal_face_detector;" + (model_sha256(SHAPE_68) if self.with_points5 else "")
        return sha256_bytes(parts.encode())

    def detect_one(self, frame: np.ndarray) -> list[FaceBox]:
        rects, scores, _ = self._detector.run(frame, self.upsample, 0.0)
        faces = []
        for r, s in zip(rects, scores):
            f = FaceBox(float(r.left()), float(r.top()), float(r.right() + 1), float(r.bottom() + 1), float(s))
            if self.with_points5:
                f.points5 = points5_from_68(shape_to_array(shape_predictor_68()(frame, to_rectangle(f))))
            faces.append(f)
        return faces
