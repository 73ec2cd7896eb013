"""Face analyses (per frame), by name ``kind:backbone[@input]``.

  faces:<detector>                 all faces (FaceBox dicts), largest first
  landmarks:<landmarker>[@<det>]   points of the largest face (68×2, or 478×3 for mediapipe-478)
  pose:mediapipe-mesh              pitch/yaw/roll (rad) from a rigid fit of the 478-point mesh
  identity:<backbone>[@<det>]      identity embedding of the largest face
  deep3d[@<points source>]         Deep3DFaceRecon 257 coefficients (POS-aligned 224 crop)

Each analyser names the analysis it consumes (`needs`); its fingerprint (backbone id, weights
sha256, preprocessing version) includes that of its input, so a different detector never reuses
a cached landmark. Every face-dependent result is computed on the largest face of the frame.
"""
from __future__ import annotations

import numpy as np

from ..errors import UnknownNameError
from ..faces.detection import FaceBox, get_detector
from .base import FrameAnalyser, passthrough_missing
from .records import FrameRecord

#: default face detector per landmarker / identity backbone (the one each was used with)
DEFAULT_DETECTOR = {
    "mediapipe-68": "mediapipe", "mediapipe-478": "mediapipe", "dlib-68": "dlib-hog", "fan-68": "mediapipe",
    "dlib-resnet": "dlib-hog", "buffalo_l": "scrfd", "antelopev2": "scrfd-antelopev2",
    "arcface-iresnet100": "mediapipe", "ir-se50": "mediapipe",
}


def default_detector(backbone: str) -> str:
    if backbone not in DEFAULT_DETECTOR:
        raise UnknownNameError(f"unknown face backbone '{backbone}'; known: {', '.join(sorted(DEFAULT_DETECTOR))}")
    return DEFAULT_DETECTOR[backbone]


def largest_face(record: FrameRecord) -> FaceBox:
    return FaceBox.from_dict(record["faces"][0])


class DetectionAnalyser(FrameAnalyser):
    def __init__(self, detector: str):
        self.name = f"faces:{detector}"
        self.detector_name = detector
        self._detector = None

    @property
    def detector(self):
        if self._detector is None:
            self._detector = get_detector(self.detector_name)
        return self._detector

    def backbone_fingerprint(self):
        d = self.detector
        return {"id": d.id, "weights_sha256": d.weights_sha256, "detector_preprocessing": d.preprocessing_version}

    def analyse(self, frames, inputs):
        out = []
        for faces in self.detector.detect(frames):
            if faces:
                out.append(FrameRecord(value={"faces": [f.to_dict() for f in faces]}))
            else:
                out.append(FrameRecord.missing_because(f"no face detected ({self.detector.id})"))
        return out


class LandmarkAnalyser(FrameAnalyser):
    def __init__(self, landmarker: str, detector: str | None = None):
        detector = detector or default_detector(landmarker)
        self.name = f"landmarks:{landmarker}@{detector}"
        self.needs = f"faces:{detector}"
        self.landmarker_name = landmarker

    @property
    def landmarker(self):
        from ..faces.landmarks import get_landmarker

        return get_landmarker(self.landmarker_name)

    def backbone_fingerprint(self):
        lm = self.landmarker
        return {"id": lm.id, "weights_sha256": lm.weights_sha256, "landmarker_preprocessing": lm.preprocessing_version}

    def analyse(self, frames, inputs):
        lm = self.landmarker

        def run(i: int) -> FrameRecord:
            pts = lm(frames[i], [largest_face(inputs[i])])[0]
            if pts is None:
                return FrameRecord.missing_because(f"no landmarks on the detected face ({lm.id})")
            return FrameRecord(value={"points": np.asarray(pts, dtype=np.float64)})

        return passthrough_missing(inputs, run)


class MeshPoseAnalyser(FrameAnalyser):
    name = "pose:mediapipe-mesh"
    needs = "landmarks:mediapipe-478@mediapipe"

    def backbone_fingerprint(self):
        from ..faces.pose import MESH_POSE_ID

        return {"id": MESH_POSE_ID, "weights_sha256": None}

    def analyse(self, frames, inputs):
        from ..faces.pose import mesh_pose

        return passthrough_missing(inputs, lambda i: FrameRecord(value=mesh_pose(inputs[i]["points"])))


class DlibIdentityAnalyser(FrameAnalyser):
    """dlib ResNet 128-d descriptor on dlib's own 150×150 chip from the iBUG-68 shape (no jitter)."""

    def __init__(self, detector: str | None = None):
        detector = detector or DEFAULT_DETECTOR["dlib-resnet"]
        self.name = f"identity:dlib-resnet@{detector}"
        self.needs = f"faces:{detector}"

    def backbone_fingerprint(self):
        from ..faces.dlib_models import DESCRIPTOR, SHAPE_68, dlib_version, model_sha256

        return {"id": f"dlib-resnet-v1-{dlib_version()}", "weights_sha256": model_sha256(DESCRIPTOR),
                "shape_sha256": model_sha256(SHAPE_68)}

    def analyse(self, frames, inputs):
        from ..faces.dlib_models import face_descriptor_net, shape_predictor_68, to_rectangle

        net, predictor = face_descriptor_net(), shape_predictor_68()

        def run(i: int) -> FrameRecord:
            shape = predictor(frames[i], to_rectangle(largest_face(inputs[i])))
            emb = np.asarray(net.compute_face_descriptor(frames[i], shape, 0), dtype=np.float64)
            return FrameRecord(value={"embedding": emb})

        return passthrough_missing(inputs, run)


class AlignedIdentityAnalyser(FrameAnalyser):
    """An ArcFace-family embedding on the 112×112 five-point crop (see talkbench.faces.identity)."""

    def __init__(self, backbone: str, detector: str | None = None):
        detector = detector or default_detector(backbone)
        self.name = f"identity:{backbone}@{detector}"
        self.needs = f"faces:{detector}"
        self.backbone_name = backbone
        self._net = None

    @property
    def net(self):
        if self._net is None:
            from ..faces.identity import get_identity_backbone

            self._net = get_identity_backbone(self.backbone_name)
        return self._net

    def backbone_fingerprint(self):
        return {"id": self.net.id, "weights_sha256": self.net.weights_sha256, "net_preprocessing": self.net.preprocessing}

    def analyse(self, frames, inputs):
        from ..faces.align import arcface_crop

        crops, where, out = [], [], []
        for i, rec in enumerate(inputs):
            if not rec.ok:
                out.append(FrameRecord.missing_because(rec.missing))
                continue
            face = largest_face(rec)
            if face.points5 is None:
                out.append(FrameRecord.missing_because("the detector gave no five points to align the face"))
                continue
            crops.append(arcface_crop(frames[i], face.points5, 112)[0])
            where.append(len(out))
            out.append(None)
        if crops:
            for j, emb in zip(where, self.net.embed(np.stack(crops))):
                out[j] = FrameRecord(value={"embedding": np.asarray(emb, dtype=np.float64)})
        return out


class Deep3DAnalyser(FrameAnalyser):
    """Deep3DFaceRecon coefficients from the POS-aligned 224 crop; five points from 68 landmarks
    (the reference: FAN, eye = mean of the two corners) or from a detector's five points."""

    def __init__(self, points: str = "fan-68"):
        self.name = f"deep3d@{points}"
        self.points_source = points
        self.needs = f"landmarks:{points}@{default_detector(points)}" if points.endswith("-68") else f"faces:{points}"
        self._net = None

    @property
    def net(self):
        if self._net is None:
            from ..faces.recon3d import get_deep3d

            self._net = get_deep3d()
        return self._net

    def backbone_fingerprint(self):
        return {"id": self.net.id, "weights_sha256": self.net.weights_sha256}

    def analyse(self, frames, inputs):
        from ..faces.align import deep3d_align, points5_from_68

        def points5(rec: FrameRecord) -> np.ndarray | None:
            if self.needs.startswith("landmarks:"):
                return points5_from_68(rec["points"], eye="corners")
            return largest_face(rec).points5

        crops, where, out = [], [], []
        for i, rec in enumerate(inputs):
            p5 = points5(rec) if rec.ok else None
            if p5 is None:
                out.append(FrameRecord.missing_because(rec.missing or "no five points to align the face"))
                continue
            crops.append(deep3d_align(frames[i], p5)[0])
            where.append(len(out))
            out.append(None)
        if crops:
            for j, c in zip(where, self.net.coefficients(np.stack(crops))):
                out[j] = FrameRecord(value={"coeffs": np.asarray(c, dtype=np.float64)})
        return out
