"""Offline pre-processing of real frames for Real3D-Portrait, WITHOUT the official 3DMM fit.

SUBSTITUTIONS (the outputs are therefore not the paper's, and the model's config says so):
* Segmentation: the official pipeline runs mediapipe's 6-class `selfie_multiclass_256x256` model (not
  shipped in the mediapipe wheel). We run the binary selfie segmenter that is inside the wheel and split
  the person at the chin of the 478-point face mesh: head = person above the chin ∪ the mesh's face
  hull (written to the `face_skin` channel), body = the rest of the person (`body_skin` channel).
* Motion signal: Real3D renders PNCC from a Deep3DFaceRecon 3DMM fit (identity + 64 expression
  coefficients) at the canonical pose. We render a "mesh NCC" instead: each frame's mediapipe mesh with
  its rigid head pose removed (talkbench.faces.pose.mesh_pose), triangulated once (Delaunay on the source's
  frontal layout, so eye and mouth openings are filled), coloured by each vertex's normalised position in
  the source's canonical mesh, and drawn through the same canonical camera as the 3DMM PNCC. The
  canonical (neutral) PNCC is the source's own mesh, i.e. cano = src.
* Head pose: from the mesh's rigid fit instead of the 3DMM fit (driving_pose.mesh_to_deep3d_pose), then
  the released camera recipe (map_to_init_pose, smoothing); torso keypoints: the mesh's iBUG-68 points
  re-posed with that pose (preprocess.OfflinePreprocessor).
The official pipeline is preprocess.OfficialPreprocessor (it needs the segmenter file and a BFM).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from scipy.spatial import ConvexHull, Delaunay

from ...errors import InputError
from ..components.pncc import project_canonical
from ..components.rasterizer import rasterize

FACE_POINTS = 468           # the mesh without the 10 iris points
CHIN = 152                  # mesh index of the chin tip
CM_TO_MODEL_UNITS = 0.1     # canonical-mesh centimetres -> 3DMM model units seen by the PNCC camera
SEG_CHANNELS = ("bg", "hair", "body_skin", "face_skin", "clothes", "others")

SUBSTITUTION_NOTE = ("real inputs: mediapipe binary selfie segmentation split at the mesh chin (not the 6-class "
                     "segmenter) and a mesh-NCC motion signal from the 478-point face mesh (no 3DMM fit); driving "
                     "head pose and torso keypoints from the mesh's rigid fit; numbers are not the paper's")


@dataclass
class FaceObservation:
    mesh: np.ndarray            # 478×3 frame pixels
    canonical: np.ndarray       # 478×3 pose-free canonical centimetres


class MeshObserver:
    """Face box -> 478-point mesh -> pose-free canonical mesh, for one frame at a time."""

    def __init__(self):
        from ...faces.detection import get_detector
        from ...faces.mesh import shared_mesh

        self._detector = get_detector("mediapipe")
        self._mesh = shared_mesh()

    def __call__(self, frame: np.ndarray, what: str = "frame") -> FaceObservation:
        from ...faces.pose import mesh_pose

        boxes = self._detector.detect_one(frame)
        mesh = self._mesh.mesh_for_box(frame, boxes[0]) if boxes else None
        if mesh is None:
            raise InputError(what, "no face found by the mediapipe detector / face mesh",
                             "pass a frame with one visible, roughly frontal face")
        return FaceObservation(mesh, mesh_pose(mesh)["canonical_mesh"])


class MeshNCC:
    """The mesh-NCC renderer, fixed per identity by the source's canonical mesh."""

    def __init__(self, source_canonical: np.ndarray):
        pts = np.asarray(source_canonical, dtype=np.float64)[:FACE_POINTS]
        self.triangles = torch.as_tensor(Delaunay(pts[:, :2]).simplices, dtype=torch.long)
        lo, hi = pts.min(axis=0), pts.max(axis=0)
        self.code = torch.as_tensor((pts - lo) / (hi - lo), dtype=torch.float32)

    def render(self, canonical_meshes: list[np.ndarray], size: int) -> torch.Tensor:
        """(T, 3, size, size) in [-1, 1], background -1, like render_pncc."""
        verts = torch.as_tensor(np.stack([np.asarray(m)[:FACE_POINTS] for m in canonical_meshes]) * CM_TO_MODEL_UNITS,
                                dtype=torch.float32)
        colours = self.code.unsqueeze(0).expand(len(canonical_meshes), -1, -1).contiguous()
        image, mask, _ = rasterize(project_canonical(verts), self.triangles, colours, size, size)
        return (image * mask - 0.5) / 0.5


class HeadSegmenter:
    """One-hot (6, H, W) map in Real3D's channel order from the binary selfie mask and the face mesh."""

    def __init__(self, threshold: float = 0.5):
        import mediapipe as mp

        self.threshold = threshold
        self._seg = mp.solutions.selfie_segmentation.SelfieSegmentation(model_selection=0)

    def __call__(self, frame: np.ndarray, mesh: np.ndarray) -> np.ndarray:
        person = self._seg.process(np.ascontiguousarray(frame)).segmentation_mask > self.threshold
        return split_person(person, mesh)


def split_person(person: np.ndarray, mesh: np.ndarray) -> np.ndarray:
    """person (H, W) bool + mesh (478×3 pixels) -> one-hot (6, H, W) bool [bg, -, body, head, -, -]."""
    h, w = person.shape
    rows, cols = np.mgrid[0:h, 0:w]
    hull = Delaunay(mesh[:FACE_POINTS, :2][ConvexHull(mesh[:FACE_POINTS, :2]).vertices])
    in_face = hull.find_simplex(np.stack([cols.ravel() + 0.5, rows.ravel() + 0.5], -1)).reshape(h, w) >= 0
    head = (person & (rows + 0.5 <= mesh[CHIN, 1])) | in_face
    body = person & ~head
    seg = np.zeros((6, h, w), dtype=bool)
    seg[0], seg[2], seg[3] = ~(head | body), body, head
    return seg
