"""Which face analysis each metric backbone option runs, and the BackboneRef its card names.

Offline backbones (mediapipe, dlib) ship with installed packages (dlib's cards name the catalogued sha256 of
face-recognition-models 0.3.0, so listing them needs no dlib); official ones (FAN, ArcFace,
Deep3DFaceRecon) need `talkbench weights import`. A BackboneRef is built without loading a network.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from .card import BackboneRef


@dataclass(frozen=True)
class FaceBackbone:
    analysis: str  # FrameAnalysis name
    ref: Callable[[], BackboneRef]
    offline: bool
    label: str


def _weights(weights_id: str, backbone_id: str) -> Callable[[], BackboneRef]:
    def ref() -> BackboneRef:
        from .face_pair import weights_backbone

        return weights_backbone(weights_id, backbone_id)

    return ref


def _mediapipe(suffix: str = "") -> Callable[[], BackboneRef]:
    def ref() -> BackboneRef:
        from ..faces.mediapipe_files import MEDIAPIPE_VERSION, MESH_WITH_ATTENTION, SHORT_RANGE_DETECTOR, files_sha256

        return BackboneRef(f"mediapipe-facemesh-refined-{MEDIAPIPE_VERSION}{suffix}",
                           "face_landmark_with_attention.tflite + face_detection_short_range.tflite (mediapipe wheel)",
                           files_sha256(SHORT_RANGE_DETECTOR, MESH_WITH_ATTENTION))

    return ref


LANDMARK_BACKBONES = {
    "fan": FaceBackbone("landmarks:fan-68", _weights("fan_2d", "fan-2dfan4"), False, "FAN 2DFAN-4 (face-alignment 1.5.0), 68 points"),
    "mediapipe": FaceBackbone("landmarks:mediapipe-68", _mediapipe("-ibug68"), True,
                              "OFFLINE: mediapipe mesh → iBUG-68 subset (not FAN; own column)"),
    "dlib": FaceBackbone("landmarks:dlib-68", _weights("dlib_shape68", "dlib-shape-predictor-68"), True,
                         "dlib iBUG-68 shape predictor on dlib HOG boxes"),
}

IDENTITY_BACKBONES = {
    "buffalo_l": FaceBackbone("identity:buffalo_l", _weights("buffalo_l", "arcface-buffalo_l-w600k_r50"), False,
                              "insightface buffalo_l w600k_r50.onnx (SCRFD five points)"),
    "antelopev2": FaceBackbone("identity:antelopev2", _weights("antelopev2", "arcface-antelopev2-glintr100"), False,
                               "insightface antelopev2 glintr100.onnx (SCRFD five points)"),
    "arcface-iresnet100": FaceBackbone("identity:arcface-iresnet100", _weights("arcface_iresnet100", "arcface-iresnet100-ms1mv3"),
                                       False, "arcface_torch iresnet100 ms1mv3 (mediapipe five points)"),
    "ir-se50": FaceBackbone("identity:ir-se50", _weights("ir_se50", "ir-se50-treb1en"), False,
                            "TreB1eN IR-SE50 (mediapipe five points, BGR input)"),
    "dlib-resnet": FaceBackbone("identity:dlib-resnet", _weights("dlib_resnet", "dlib-resnet-v1"), True,
                                "OFFLINE: dlib ResNet 128-d descriptor (not ArcFace; own column)"),
}

COEFF_BACKBONES = {
    "deep3d": FaceBackbone("deep3d@fan-68", _weights("deep3dfacerecon", "deep3dfacerecon-r50"), False,
                           "Deep3DFaceRecon epoch_20 on the POS 224 crop (FAN five points)"),
    "mediapipe-mesh": FaceBackbone("pose:mediapipe-mesh", _mediapipe("-rigid-fit"), True,
                                   "OFFLINE: rigid fit of the mediapipe mesh to its canonical face (not Deep3D; own column)"),
}


def pick(table: dict[str, FaceBackbone], name: str, metric: str) -> FaceBackbone:
    if name not in table:
        raise ValueError(f"{metric}: backbone must be one of {sorted(table)}, got {name!r}")
    return table[name]
