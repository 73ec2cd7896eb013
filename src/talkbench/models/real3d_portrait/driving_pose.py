"""Driving head pose -> EG3D cameras, and torso keypoints, as Real3D-Portrait's inference prepares them.

From the released `inference/real3d_infer.py` and `inference/infer_utils.py` (re-implemented):
1. the driving (euler, trans) sequence is indexed with `mirror_index` to the output length (forward,
   then backward, then forward ...);
2. trans_z of every frame is set to the first frame's;
3. `map_to_init_pose`: the whole sequence is shifted so frame 0 equals the source pose
   (euler += src − drv[0], trans += src − drv[0]);
4. each pose becomes a `real3d` camera (cameras.camera_from_3dmm), and the camera sequence is smoothed
   with a window of 7 frames: the centre is the mean over the window (clipped at the ends) and the
   rotation is the chordal L2 mean (scipy `Rotation.mean`) over the same window;
5. torso keypoints: the iBUG-68 points 0, 8, 16, 27 (jaw ends, chin, nose bridge) projected to the image,
   (x, y) in [0, 1] (y down) mapped to [-1, 1] and clamped, z = 0 -> (T, 4, 3). The driving keypoints
   come from the mapped trajectory and are smoothed over time (window 7, mirrored ends).

Pose without a 3DMM (`mesh_to_deep3d_pose`): the rigid fit of the 478-point mediapipe mesh
(talkbench.faces.pose.mesh_pose) gives R = Rz(roll)·Ry(yaw)·Rx(pitch) in camera axes x right, y up,
z towards the viewer: the axes and composition order of Deep3DFaceRecon, so euler = (pitch, yaw, roll)
unchanged. The translation is the one that puts the canonical mesh origin where the mesh has it: with
s pixels per canonical cm at the 224 crop and 1 cm = 0.1 model units (real_inputs.CM_TO_MODEL_UNITS),
the depth is D = 1015·0.1/s, trans_z = 10 − D, and (trans_x, trans_y) = (u − 112, v − 112)·D/1015 for
the origin's crop position (u right, v up). Non-square frames are stretched to the square crop (as the
adapter stretches them), so s uses the geometric mean of the two axis scales. The mesh fit is weak
perspective, so this pose is an approximation of a 3DMM fit, not equal to one.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch

from ..base import Camera
from ..components.cameras import camera_from_3dmm
from ..components.landmark_fit import FIT_SIZE, landmarks_to_fit_space, project_deep3d
from ..components.pncc import CAMERA_DISTANCE, DEEP3D_CENTER, DEEP3D_FOCAL
from .real_inputs import CM_TO_MODEL_UNITS
from .torso import TORSO_KEYPOINTS

SMOOTH_KERNEL = 7


def mirror_index(i: int, n: int) -> int:
    """Index i of an endless forward-backward walk over n items."""
    turn, rest = divmod(i, n)
    return rest if turn % 2 == 0 else n - rest - 1


def driving_pose_sequence(src_euler, src_trans, drv_euler, drv_trans, n_frames: int,
                          map_to_init: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """(n_frames, 3) euler and trans: mirror-indexed, trans_z fixed to frame 0, shifted onto the source."""
    drv_euler = np.asarray(drv_euler, dtype=np.float64).reshape(-1, 3)
    drv_trans = np.asarray(drv_trans, dtype=np.float64).reshape(-1, 3)
    order = [mirror_index(i, len(drv_euler)) for i in range(n_frames)]
    euler, trans = drv_euler[order].copy(), drv_trans[order].copy()
    trans[:, 2] = trans[0, 2]
    if map_to_init:
        euler += np.asarray(src_euler, dtype=np.float64).reshape(1, 3) - euler[:1]
        trans += np.asarray(src_trans, dtype=np.float64).reshape(1, 3) - trans[:1]
    return euler, trans


def smooth_cameras(cameras: Sequence[Camera], kernel: int = SMOOTH_KERNEL) -> list[Camera]:
    """Window mean of the camera centres and chordal mean of the rotations (intrinsics unchanged)."""
    from scipy.spatial.transform import Rotation

    poses = np.stack([np.asarray(c.cam2world, dtype=np.float64) for c in cameras])
    half = kernel // 2
    out = []
    for i, cam in enumerate(cameras):
        lo, hi = max(0, i - half), min(len(poses), i + half + 1)
        pose = poses[i].copy()
        pose[:3, 3] = poses[lo:hi, :3, 3].mean(axis=0)
        pose[:3, :3] = Rotation.from_matrix(poses[lo:hi, :3, :3]).mean().as_matrix()
        out.append(Camera(pose, np.asarray(cam.intrinsics).copy(), cam.recipe))
    return out


def cameras_from_poses(euler, trans, kernel: int = SMOOTH_KERNEL) -> list[Camera]:
    cams = [camera_from_3dmm(e, t, recipe="real3d") for e, t in zip(np.atleast_2d(euler), np.atleast_2d(trans))]
    return smooth_cameras(cams, kernel) if kernel > 1 else cams


def smooth_sequence(x, kernel: int = SMOOTH_KERNEL) -> np.ndarray:
    """Box filter over the first axis with mirrored ends (..., x2, x1, x0 | x0, x1, x2, ...)."""
    x = np.asarray(x, dtype=np.float64)
    half = (kernel - 1) // 2
    padded = np.pad(x, [(half, half)] + [(0, 0)] * (x.ndim - 1), mode="symmetric")
    csum = np.cumsum(np.concatenate([np.zeros_like(padded[:1]), padded]), axis=0)
    return (csum[kernel:] - csum[:-kernel]) / kernel


def mesh_to_deep3d_pose(mesh: np.ndarray, width: float, height: float) -> tuple[np.ndarray, np.ndarray]:
    """(euler, trans) in Deep3DFaceRecon's convention from a 478×3 mediapipe mesh in frame pixels."""
    from ...faces.pose import mesh_pose

    fit = mesh_pose(mesh)
    t = fit["translation"]  # canonical origin: (x px, −y px) in the frame, y up from the top edge
    u, v = landmarks_to_fit_space(np.array([t[0], -t[1]]), width, height)
    px_per_cm = float(fit["scale"]) * FIT_SIZE / np.sqrt(width * height)
    depth = DEEP3D_FOCAL * CM_TO_MODEL_UNITS / px_per_cm
    trans = np.array([(u - DEEP3D_CENTER) * depth / DEEP3D_FOCAL, (v - DEEP3D_CENTER) * depth / DEEP3D_FOCAL,
                      CAMERA_DISTANCE - depth])
    return np.asarray(fit["angles"], dtype=np.float64), trans


def project_to_image(points, euler, trans) -> np.ndarray:
    """(T, N, 3) model points posed per frame -> (T, N, 2) image coordinates in [0, 1], y down."""
    pts = torch.as_tensor(np.asarray(points, dtype=np.float64))
    uv = project_deep3d(pts, torch.as_tensor(np.atleast_2d(euler), dtype=torch.float64),
                        torch.as_tensor(np.atleast_2d(trans), dtype=torch.float64)).numpy()
    return np.stack([uv[..., 0], FIT_SIZE - uv[..., 1]], axis=-1) / FIT_SIZE


def torso_keypoints(lm68_image01) -> torch.Tensor:
    """(T, 68, 2) iBUG-68 points in [0, 1] image coordinates -> (T, 4, 3) torso keypoints in [-1, 1], z = 0."""
    pts = np.asarray(lm68_image01, dtype=np.float64)[:, list(TORSO_KEYPOINTS)]
    kp = np.clip(pts * 2 - 1, -1, 1)
    return torch.as_tensor(np.concatenate([kp, np.zeros_like(kp[..., :1])], axis=-1), dtype=torch.float32)
