"""Per-frame driving inputs of Export3D: the expression β ∈ R^64 and the EG3D camera p ∈ R^25.

The paper takes both from Deep3DFaceRecon [15] (β = coefficients 80:144; the camera by EG3D's
pre-processing of the angles 224:227 and translation 254:257). Two sources:

* `deep3d` (the paper's): talkbench's Deep3DFaceRecon analyser (needs epoch_20.pth installed); camera
  by the `eg3d-ffhq` recipe (components/cameras.py).
* `mesh` (offline substitute, no extra weights): mediapipe's 478-point mesh. β is 64 numbers: the (x, y)
  of 32 expression points (8 inner-lip, 8 outer-lip, 6 per eyelid ring, 2 per brow) of the pose-free
  canonical mesh (faces/pose.py), in decimetres. Like the 3DMM expression, these carry the person's
  face shape as well as the expression, which is what CLeBS is there to remove. The camera comes from
  the mesh's rigid fit converted to Deep3DFaceRecon's pose (real3d_portrait.driving_pose), then the
  same `eg3d-ffhq` recipe. Numbers from this source are not the paper's.

A frame without a face raises InputError naming the frame (the runner reports it per item).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ...errors import InputError
from ..base import Camera
from ..components.cameras import camera_from_3dmm, camera_to_label

EXPRESSION_SOURCES = ("mesh", "deep3d")
CAMERA_RECIPE = "eg3d-ffhq"

#: mediapipe mesh indices of the 32 expression points of the `mesh` source
MESH_EXPRESSION_POINTS = (
    78, 81, 13, 311, 308, 402, 14, 178,        # inner lips
    61, 39, 0, 269, 291, 405, 17, 181,         # outer lips
    33, 160, 158, 133, 153, 144,               # image-left eye ring
    263, 387, 385, 362, 380, 373,              # image-right eye ring
    105, 66, 334, 296,                         # brows
)
CM_PER_UNIT = 10.0  # β unit: decimetres of the canonical face
MESH_NOTE = ("expression and camera from the mediapipe mesh (32 pose-free expression points, rigid-fit pose), "
             "not Deep3DFaceRecon: numbers are not the paper's")


@dataclass
class DrivingInputs:
    expressions: np.ndarray        # (T, 64) float32
    cameras: list[Camera]

    @property
    def labels(self) -> np.ndarray:
        return np.stack([camera_to_label(c) for c in self.cameras]).astype(np.float32)


def mesh_expression(canonical_mesh: np.ndarray) -> np.ndarray:
    """(478, 3) pose-free canonical mesh (cm) -> (64,) β of the `mesh` source."""
    pts = np.asarray(canonical_mesh, dtype=np.float64)[list(MESH_EXPRESSION_POINTS), :2]
    return (pts / CM_PER_UNIT).reshape(-1).astype(np.float32)


class InputExtractor:
    def __init__(self, source: str = "mesh", analysis=None):
        if source not in EXPRESSION_SOURCES:
            raise ValueError(f"expression_source must be one of {EXPRESSION_SOURCES}, got {source!r}")
        self.source = source
        self._analysis = analysis

    @property
    def analysis(self):
        if self._analysis is None:
            from ...analysis.stage import default_analysis

            self._analysis = default_analysis()  # the process's shared, disk-cached analysis
        return self._analysis

    def __call__(self, frames: Sequence[np.ndarray], what: str = "driving") -> DrivingInputs:
        frames = [np.asarray(f) for f in frames]
        if self.source == "deep3d":
            return self._deep3d(frames, what)
        return self._mesh(frames, what)

    @staticmethod
    def _missing(records, what: str) -> None:
        for i, rec in enumerate(records):
            if not rec.ok:
                raise InputError(f"{what} frame {i}", f"no face for Export3D's inputs ({rec.missing})",
                                 "pass frames with one visible, roughly frontal face")

    def _mesh(self, frames, what: str) -> DrivingInputs:
        from ...faces.pose import mesh_pose
        from ..real3d_portrait.driving_pose import mesh_to_deep3d_pose

        records = self.analysis.run("landmarks:mediapipe-478@mediapipe", frames)
        self._missing(records, what)
        exps, cams = [], []
        for frame, rec in zip(frames, records):
            mesh = np.asarray(rec["points"], dtype=np.float64)
            exps.append(mesh_expression(mesh_pose(mesh)["canonical_mesh"]))
            euler, trans = mesh_to_deep3d_pose(mesh, frame.shape[1], frame.shape[0])
            cams.append(camera_from_3dmm(euler, trans, recipe=CAMERA_RECIPE))
        return DrivingInputs(np.stack(exps), cams)

    def _deep3d(self, frames, what: str) -> DrivingInputs:
        from ...nets.deep3d_resnet import COEFF_SLICES

        EXP, ANGLE, TRANS = COEFF_SLICES["exp"], COEFF_SLICES["angle"], COEFF_SLICES["trans"]
        records = self.analysis.run("deep3d@fan-68", frames)
        self._missing(records, what)
        coeffs = [np.asarray(r["coeffs"], dtype=np.float64) for r in records]
        return DrivingInputs(np.stack([c[EXP] for c in coeffs]).astype(np.float32),
                             [camera_from_3dmm(c[ANGLE], c[TRANS], recipe=CAMERA_RECIPE) for c in coeffs])
