"""insightface SCRFD (det_10g.onnx) from an installed model pack, through insightface's own SCRFD
class given the file path (so it never downloads). Five points come from the detector itself."""
from __future__ import annotations

import numpy as np

from ..detection import FaceBox, FaceDetector


class SCRFDDetector(FaceDetector):
    pack = "buffalo_l"
    member = "det_10g.onnx"
    preprocessing_version = "1"

    def __init__(self, det_size: int = 640, threshold: float = 0.5):
        from ...weights.store import file_sha256, verified_weights

        folder = verified_weights(self.pack).path  # MissingWeightsError when the pack is absent
        from insightface.model_zoo.scrfd import SCRFD

        path = folder / self.member
        self._sha = file_sha256(path)
        self.det_size = det_size
        self.threshold = threshold
        self.id = f"scrfd-{self.pack}-{self.member}-{det_size}"
        self._model = SCRFD(model_file=str(path))
        self._model.prepare(-1, input_size=(det_size, det_size), det_thresh=threshold)

    @property
    def weights_sha256(self) -> str:
        return self._sha

    def detect_one(self, frame: np.ndarray) -> list[FaceBox]:
        dets, kpss = self._model.detect(np.ascontiguousarray(frame[..., ::-1]), input_size=(self.det_size, self.det_size))
        faces = []
        for i, d in enumerate(dets):
            kps = None if kpss is None else np.asarray(kpss[i], dtype=np.float64)
            faces.append(FaceBox(float(d[0]), float(d[1]), float(d[2]), float(d[3]), float(d[4]), kps))
        return faces


class SCRFDAntelopeDetector(SCRFDDetector):
    pack = "antelopev2"
    member = "scrfd_10g_bnkps.onnx"
