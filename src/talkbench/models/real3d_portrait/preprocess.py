"""Real3D-Portrait pre-processing: source image -> segmentation, PNCC, pose, torso keypoints; driving
frames -> target PNCC, cameras, torso keypoints. Two explicit choices (the adapter's `preprocess`):

* ``official``: the released pipeline. 6-class mediapipe segmentation (segmentation.py, needs
  `selfie_multiclass_256x256.tflite`); the 478-point mesh of the 512² source fitted by the 3DMM
  (components/landmark_fit.py, needs the user's BFM_model_front.mat and index_mp468_from_mesh35709.npy);
  PNCC cano = (id, exp 0), src = (id, src exp), tgt = (src id, driving exp), all at the canonical pose
  (components/pncc.py); driving poses from a video fit of the driving frames (shared identity), mapped onto
  the source pose, as smoothed `real3d` cameras; torso keypoints from the 3DMM's iBUG-68 points (src id,
  driving exp, mapped pose). Remaining differences: the landmarks come from mediapipe's legacy FaceMesh
  (refined, 478 points, the same topology) rather than the FaceLandmarker task file, the small-face auto-crop
  (`--min_face_area_percent`) is not applied, and the eye faces are only removed from the PNCC if the
  caller passes a MorphableModel without them.
* ``offline``: no 3DMM and no extra model file (real_inputs.py): binary selfie mask split by the mesh,
  mesh-NCC motion signal, pose from the mesh's rigid fit (driving_pose.mesh_to_deep3d_pose) and torso
  keypoints from the pose-free mesh re-posed with the mapped pose. The numbers are not the paper's.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import torch

from ...errors import InputError
from ...faces.landmarks import MEDIAPIPE_TO_IBUG68
from ..base import Camera
from ..components.landmark_fit import (IMAGE_FIT, VIDEO_FIT, KeypointBasis, LandmarkFitConfig, fit_landmarks,
                                       landmarks_to_fit_space, load_keypoint_index)
from ..components.morphable import MorphableModel
from ..components.pncc import render_pncc
from .driving_pose import (cameras_from_poses, driving_pose_sequence, mesh_to_deep3d_pose, project_to_image,
                           smooth_sequence, torso_keypoints)
from .real_inputs import CM_TO_MODEL_UNITS, FACE_POINTS, HeadSegmenter, MeshNCC, MeshObserver
from .segmentation import OFFICIAL_INPUT_SIZE, resize_rgb

PREPROCESS_MODES = ("offline", "official")
PNCC_CHUNK = 50  # driving PNCC frames rendered at once (the released code renders chunks of 50)
OFFICIAL_NOTE = ("official pre-processing (6-class segmenter, 3DMM landmark fit, fitted driving pose); landmarks "
                 "from mediapipe's legacy FaceMesh, no small-face auto-crop")


@dataclass
class SourceInputs:
    seg: np.ndarray                 # (6, H, W) bool one-hot [bg, hair, body_skin, face_skin, clothes, others]
    pncc_cano: torch.Tensor         # (1, 3, S, S) in [-1, 1]
    pncc_src: torch.Tensor          # (1, 3, S, S)
    euler: np.ndarray               # (3,) source pose, Deep3DFaceRecon convention
    trans: np.ndarray               # (3,)
    kp: torch.Tensor                # (1, 4, 3) torso keypoints
    identity: Any = None            # what driving() needs from the source (MeshNCC / identity coefficients)


@dataclass
class DrivingInputs:
    pncc: torch.Tensor              # (T, 3, S, S)
    cameras: list[Camera]
    kp: torch.Tensor                # (T, 4, 3)
    euler: np.ndarray               # (T, 3) the mapped pose sequence
    trans: np.ndarray


class OfflinePreprocessor:
    name = "offline"

    def __init__(self, map_to_init_pose: bool = True):
        self.map_to_init_pose = map_to_init_pose
        self._observer: MeshObserver | None = None
        self._segmenter: HeadSegmenter | None = None

    def config_dict(self) -> dict[str, Any]:
        return {"map_to_init_pose": self.map_to_init_pose}

    def observe(self, frame: np.ndarray, what: str):
        if self._observer is None:
            self._observer = MeshObserver()
        return self._observer(frame, what)

    @staticmethod
    def _lm68(canonical: np.ndarray) -> np.ndarray:
        return np.asarray(canonical)[list(MEDIAPIPE_TO_IBUG68)] * CM_TO_MODEL_UNITS

    def source(self, frame: np.ndarray, size: int) -> SourceInputs:
        obs = self.observe(frame, "source image")
        if self._segmenter is None:
            self._segmenter = HeadSegmenter()
        seg = self._segmenter(frame, obs.mesh)
        ncc = MeshNCC(obs.canonical)
        pncc = ncc.render([obs.canonical], size)
        euler, trans = mesh_to_deep3d_pose(obs.mesh, frame.shape[1], frame.shape[0])
        kp = torso_keypoints(project_to_image(self._lm68(obs.canonical)[None], euler, trans))
        return SourceInputs(seg, pncc, pncc, euler, trans, kp, identity=ncc)

    def driving(self, src: SourceInputs, frames: Sequence[np.ndarray], size: int) -> DrivingInputs:
        obs = [self.observe(np.asarray(f), f"driving frame {i}") for i, f in enumerate(frames)]
        poses = [mesh_to_deep3d_pose(o.mesh, np.asarray(f).shape[1], np.asarray(f).shape[0]) for o, f in zip(obs, frames)]
        euler, trans = driving_pose_sequence(src.euler, src.trans, [p[0] for p in poses], [p[1] for p in poses],
                                             len(frames), self.map_to_init_pose)
        lm = project_to_image(np.stack([self._lm68(o.canonical) for o in obs]), euler, trans)
        return DrivingInputs(src.identity.render([o.canonical for o in obs], size), cameras_from_poses(euler, trans),
                             torso_keypoints(smooth_sequence(lm)), euler, trans)


def lm68_vertices(model: MorphableModel, index: np.ndarray) -> np.ndarray:
    """Vertex of each iBUG-68 landmark: the 3DMM's own `keypoints`, else via the mediapipe index."""
    if model.keypoints is not None:
        return np.asarray(model.keypoints, dtype=np.int64)
    verts = np.asarray(index)[list(MEDIAPIPE_TO_IBUG68)]
    if (verts < 0).any():
        raise InputError(model.name, "the 3DMM has no 68-landmark `keypoints` and the mediapipe index leaves some "
                         "unmatched", "use Deep3DFaceRecon's BFM_model_front.mat (it stores `keypoints`)")
    return verts


class OfficialPreprocessor:
    name = "official"

    def __init__(self, bfm: str | Path | MorphableModel, bfm_index: str | Path | np.ndarray | None = None,
                 ncc_code: str | Path | None = None, segmenter: str | Path | Callable | None = None,
                 image_fit: LandmarkFitConfig = IMAGE_FIT, video_fit: LandmarkFitConfig = VIDEO_FIT,
                 map_to_init_pose: bool = True):
        if isinstance(bfm, MorphableModel):
            self.model = bfm
        else:
            if bfm is None:
                raise InputError(None, "preprocess='official' needs the Basel Face Model",
                                 "pass bfm=PATH/BFM_model_front.mat (Deep3DFaceRecon layout; licensed separately)")
            self.model = MorphableModel.from_mat(bfm, ncc_code)
        if isinstance(bfm_index, np.ndarray):
            index = bfm_index
        else:
            if bfm_index is None and isinstance(bfm, (str, Path)):
                bfm_index = Path(bfm).with_name("index_mp468_from_mesh35709.npy")
            if bfm_index is None:
                raise InputError(None, "no mediapipe-to-3DMM keypoint index",
                                 "pass bfm_index=PATH/index_mp468_from_mesh35709.npy")
            index = load_keypoint_index(bfm_index, self.model.n_vertices)
        self.index = np.asarray(index, dtype=np.int64)
        self.basis = KeypointBasis(self.model, self.index)
        self.lm68 = lm68_vertices(self.model, self.index)
        if segmenter is None or isinstance(segmenter, (str, Path)):
            from .segmentation import MulticlassSegmenter

            segmenter = MulticlassSegmenter(segmenter)
        self.segmenter = segmenter
        self.image_fit, self.video_fit, self.map_to_init_pose = image_fit, video_fit, map_to_init_pose
        self._observer: MeshObserver | None = None

    def config_dict(self) -> dict[str, Any]:
        return {"map_to_init_pose": self.map_to_init_pose, "bfm": self.model.name,
                "segmenter_sha256": getattr(self.segmenter, "weights_sha256", None),
                "image_fit": self.image_fit.to_dict(), "video_fit": self.video_fit.to_dict()}

    def landmarks(self, frame: np.ndarray, what: str) -> np.ndarray:
        """(468, 2) fit-space landmarks of the frame resized to the official 512²."""
        if self._observer is None:
            self._observer = MeshObserver()
        mesh = self._observer(resize_rgb(frame, OFFICIAL_INPUT_SIZE), what).mesh
        return landmarks_to_fit_space(mesh[:FACE_POINTS], OFFICIAL_INPUT_SIZE, OFFICIAL_INPUT_SIZE)

    def _lm68_points(self, id_coeff, exp) -> np.ndarray:
        exp = np.atleast_2d(exp)
        return np.stack([self.model.shape(id_coeff, e)[self.lm68] for e in exp])

    def source(self, frame: np.ndarray, size: int) -> SourceInputs:
        seg = np.asarray(self.segmenter(frame), dtype=bool)
        fit = fit_landmarks(self.basis, self.landmarks(frame, "source image"), config=self.image_fit)
        cano = render_pncc(self.model, fit.id, np.zeros((1, self.model.exp_base.shape[1])), size)
        src = render_pncc(self.model, fit.id, fit.exp[:1], size)
        kp = torso_keypoints(project_to_image(self._lm68_points(fit.id, fit.exp[0]), fit.euler[:1], fit.trans[:1]))
        return SourceInputs(seg, cano, src, fit.euler[0], fit.trans[0], kp, identity=fit)

    def driving(self, src: SourceInputs, frames: Sequence[np.ndarray], size: int) -> DrivingInputs:
        lms = np.stack([self.landmarks(np.asarray(f), f"driving frame {i}") for i, f in enumerate(frames)])
        fit = fit_landmarks(self.basis, lms, config=self.video_fit)
        euler, trans = driving_pose_sequence(src.euler, src.trans, fit.euler, fit.trans, len(frames),
                                             self.map_to_init_pose)
        src_id = src.identity.id
        lm = project_to_image(self._lm68_points(src_id, fit.exp), euler, trans)
        pncc = torch.cat([render_pncc(self.model, src_id, fit.exp[i:i + PNCC_CHUNK], size)
                          for i in range(0, len(fit.exp), PNCC_CHUNK)])
        return DrivingInputs(pncc, cameras_from_poses(euler, trans),
                             torso_keypoints(smooth_sequence(lm)), euler, trans)
