"""Fitting a 3DMM (identity 80 / expression 64 / euler 3 / trans 3) to 2-D face landmarks.

This is the landmark fit Real3D-Portrait runs on the source image and on driving videos
(`data_gen/utils/process_{image,video}/fit_3dmm_landmark.py` in the released code), re-implemented
from its description:

* Camera: Deep3DFaceRecon's pinhole at a 224-px crop, focal 1015, centre 112, camera on +z at distance
  10. A model point p is posed as p·R + t with R = compute_rotation(euler) (cameras.euler_to_rotation_batch)
  and projected to (u, v) = 1015·(x, y)/(10 − z) + 112, v pointing UP.
* Targets: the first 468 of mediapipe's 478 mesh points, y flipped and scaled to the 224 crop
  (`landmarks_to_fit_space`). A keypoint index maps each mesh point to a 3DMM vertex
  (`index_mp468_from_mesh35709.npy` for the BFM; negative = no matching vertex -> weight 0).
* Loss: mean over points and both axes of w·(projection − target)², w = 5 on the eyes, 2 on the inner
  and outer lips, 0 on the 8 contour points the index does not match, 1 elsewhere; plus
  λ_id·mean(id²) + λ_exp·mean(exp²).
* Schedule (all coefficients start at 0): Adam lr 0.1 on (euler, trans) only for `pose_iters`, then
  Adam lr 0.1 on everything for `joint_iters` (the pose optimiser keeps its state). The released code then
  runs a "fine" stage (Adam lr 0.005, 50 iterations) but writes its result into a temporary copy
  (`coeff[sel_ids].data = ...` on an advanced-indexing copy), so the coefficients it returns are those of
  the joint stage. `keep_fine_stage=False` (default) reproduces that; True keeps the fine result.
* Video fit (`VIDEO_FIT`, the released `id_mode='global'`): one identity shared by all frames, per-frame
  expression and pose, λ_id 0.2, λ_exp 0.6, plus a temporal Laplacian penalty (kernel (−½, 1, −½),
  edge-replicated ends, mean of squares) on id and exp (weight 1) and on euler and trans (weight 0.3),
  times λ_lap 1.0. With one frame the Laplacian term is zero, so the image fit is the same code.

Everything runs in float32 on the CPU with a fixed operation order: the same inputs give the same fit.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ...errors import InputError
from .cameras import euler_to_rotation_batch
from .morphable import MorphableModel
from .pncc import CAMERA_DISTANCE, DEEP3D_CENTER, DEEP3D_FOCAL

FIT_SIZE = 2 * DEEP3D_CENTER  # 224
MESH_POINTS = 468

#: mediapipe mesh indices and their landmark-loss weights (released fit: eyes ×5, lips ×2, contour ×0)
MP_EYES = (33, 246, 161, 160, 159, 158, 157, 173, 133, 155, 154, 153, 145, 144, 163, 7,
           263, 466, 388, 387, 386, 385, 384, 398, 362, 382, 381, 380, 374, 373, 390, 249)
MP_INNER_LIPS = (78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308, 324, 318, 402, 317, 14, 87, 178, 88, 95)
MP_OUTER_LIPS = (61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291, 375, 321, 405, 314, 17, 84, 181, 91, 146)
MP_UNMATCHED_CONTOUR = (93, 127, 132, 234, 323, 356, 361, 454)


@dataclass(frozen=True)
class LandmarkFitConfig:
    pose_iters: int = 200
    joint_iters: int = 200
    fine_iters: int = 50
    lr: float = 0.1
    fine_lr: float = 0.005
    lambda_id: float = 0.3
    lambda_exp: float = 0.05
    lambda_lap: float = 0.0
    lap_pose_weight: float = 0.3
    keep_fine_stage: bool = False

    def to_dict(self) -> dict:
        return asdict(self)


IMAGE_FIT = LandmarkFitConfig()
VIDEO_FIT = LandmarkFitConfig(lambda_id=0.2, lambda_exp=0.6, lambda_lap=1.0)


@dataclass
class FaceFit:
    """Fitted coefficients: one identity, per-frame expression and pose."""

    id: np.ndarray      # (n_id,)
    exp: np.ndarray     # (T, n_exp)
    euler: np.ndarray   # (T, 3) radians, Deep3DFaceRecon order (x, y, z)
    trans: np.ndarray   # (T, 3) model units
    rms_px: float       # weighted-point RMS landmark residual at the 224-px crop

    def __len__(self) -> int:
        return len(self.exp)


def mediapipe_point_weights() -> np.ndarray:
    """(468,) landmark-loss weights of the released fit."""
    w = np.ones(MESH_POINTS, dtype=np.float32)
    w[list(MP_EYES)] = 5
    w[list(MP_INNER_LIPS)] = 2
    w[list(MP_OUTER_LIPS)] = 2
    w[list(MP_UNMATCHED_CONTOUR)] = 0
    return w


def load_keypoint_index(path, n_vertices: int) -> np.ndarray:
    """`index_mp468_from_mesh35709.npy`: (468,) vertex index per mesh point, negative = unmatched."""
    path = Path(path)
    fix = "pass the index_mp468_from_mesh35709.npy that Real3D-Portrait's BFM download provides"
    if not path.is_file():
        raise InputError(path, "keypoint index file not found", fix)
    index = np.load(path).astype(np.int64).reshape(-1)
    if index.shape != (MESH_POINTS,) or index.max() >= n_vertices:
        raise InputError(path, f"expected {MESH_POINTS} vertex indices below {n_vertices}, got shape {index.shape}", fix)
    return index


def synthetic_keypoint_index(model: MorphableModel, seed: int = 0) -> np.ndarray:
    """An index for the synthetic 3DMM: each mesh point on a random vertex, the 8 contour points unmatched."""
    index = np.random.default_rng(seed).integers(0, model.n_vertices, MESH_POINTS)
    index[list(MP_UNMATCHED_CONTOUR)] = -1
    return index


def landmarks_to_fit_space(points, width: float, height: float) -> np.ndarray:
    """Frame pixels (x right, y down; (..., ≥2)) -> the 224 crop with y up, as the fit compares them."""
    p = np.asarray(points, dtype=np.float64)[..., :2]
    return np.stack([p[..., 0] * FIT_SIZE / width, (height - p[..., 1]) * FIT_SIZE / height], axis=-1)


def project_deep3d(points: torch.Tensor, euler: torch.Tensor, trans: torch.Tensor) -> torch.Tensor:
    """(B, N, 3) model points posed by (B, 3) euler / trans -> (B, N, 2) crop pixels (u right, v up)."""
    posed = points @ euler_to_rotation_batch(euler) + trans[:, None, :]
    depth = CAMERA_DISTANCE - posed[..., 2:]
    return DEEP3D_FOCAL * posed[..., :2] / depth + DEEP3D_CENTER


class KeypointBasis:
    """The 3DMM restricted to the vertices a keypoint index selects (unmatched points use vertex 0)."""

    def __init__(self, model: MorphableModel, index: np.ndarray):
        index = np.asarray(index, dtype=np.int64)
        verts = np.where(index < 0, 0, index)
        n_id, n_exp = model.id_base.shape[1], model.exp_base.shape[1]
        as_t = lambda a: torch.as_tensor(np.ascontiguousarray(a), dtype=torch.float32)  # noqa: E731
        self.mean = as_t(model.mean_shape[verts])                                            # (K, 3)
        self.id_base = as_t(model.id_base.reshape(-1, 3, n_id)[verts].reshape(-1, n_id))     # (3K, n_id)
        self.exp_base = as_t(model.exp_base.reshape(-1, 3, n_exp)[verts].reshape(-1, n_exp))
        self.matched = index >= 0
        self.n_id, self.n_exp = n_id, n_exp

    def shape(self, id_coeff: torch.Tensor, exp_coeff: torch.Tensor) -> torch.Tensor:
        """(B, n_id) and (B, n_exp) -> (B, K, 3)."""
        offset = id_coeff @ self.id_base.T + exp_coeff @ self.exp_base.T
        return self.mean[None] + offset.reshape(len(exp_coeff), -1, 3)

    def project(self, id_coeff, exp_coeff, euler, trans) -> torch.Tensor:
        return project_deep3d(self.shape(id_coeff, exp_coeff), euler, trans)


def _laplacian_penalty(x: torch.Tensor) -> torch.Tensor:
    """Mean squared temporal Laplacian of (T, C) with edge-replicated ends (zero for T = 1)."""
    seq = x.T.unsqueeze(1)                                   # (C, 1, T)
    seq = torch.cat([seq[..., :1], seq, seq[..., -1:]], dim=-1)
    kernel = torch.tensor([[[-0.5, 1.0, -0.5]]], dtype=x.dtype)
    return F.conv1d(seq, kernel).pow(2).mean()


def fit_landmarks(basis: KeypointBasis, targets, weights=None, config: LandmarkFitConfig = IMAGE_FIT) -> FaceFit:
    """Fit one identity and per-frame (exp, euler, trans) to targets (T, 468, 2) or (468, 2) in fit space."""
    lms = torch.as_tensor(np.asarray(targets, dtype=np.float32).reshape(-1, MESH_POINTS, 2))
    w = mediapipe_point_weights() if weights is None else np.asarray(weights, dtype=np.float32)
    w = torch.as_tensor(np.where(basis.matched, w, 0.0).astype(np.float32))[None, :, None]
    t = len(lms)
    id_c = torch.zeros(1, basis.n_id, requires_grad=True)
    exp = torch.zeros(t, basis.n_exp, requires_grad=True)
    euler = torch.zeros(t, 3, requires_grad=True)
    trans = torch.zeros(t, 3, requires_grad=True)

    def loss_fn(ids, exps, eulers, transl, regularise: bool):
        proj = basis.project(ids.expand(t, -1), exps, eulers, transl)
        loss = ((proj - lms).pow(2) * w).mean()
        if regularise:
            loss = loss + config.lambda_id * ids.pow(2).mean() + config.lambda_exp * exps.pow(2).mean()
            if config.lambda_lap:
                lap = (_laplacian_penalty(exps) + config.lap_pose_weight * (_laplacian_penalty(eulers)
                                                                            + _laplacian_penalty(transl)))
                loss = loss + config.lambda_lap * lap
        return loss

    def run(params, iters, lr, optimisers=None, regularise=True):
        optimisers = optimisers or [torch.optim.Adam(params, lr=lr)]
        for _ in range(iters):
            for opt in optimisers:
                opt.zero_grad()
            loss_fn(id_c, exp, euler, trans, regularise).backward()
            for opt in optimisers:
                opt.step()

    with torch.enable_grad():
        pose_opt = torch.optim.Adam([euler, trans], lr=config.lr)
        run(None, config.pose_iters, config.lr, [pose_opt], regularise=False)
        shape_opt = torch.optim.Adam([id_c, exp], lr=config.lr)
        run(None, config.joint_iters, config.lr, [shape_opt, pose_opt])
        if config.keep_fine_stage and config.fine_iters:
            # the image fit refines the identity too; the video fit keeps its shared identity fixed
            params = [exp, euler, trans] + ([id_c] if t == 1 else [])
            run(params, config.fine_iters, config.fine_lr)
        with torch.no_grad():
            resid = (basis.project(id_c.expand(t, -1), exp, euler, trans) - lms).pow(2).sum(-1)
            used = (w[..., 0] > 0).expand_as(resid)
            rms = float(resid[used].mean().sqrt())
    return FaceFit(id_c.detach()[0].numpy().astype(np.float64), exp.detach().numpy().astype(np.float64),
                   euler.detach().numpy().astype(np.float64), trans.detach().numpy().astype(np.float64), rms)
