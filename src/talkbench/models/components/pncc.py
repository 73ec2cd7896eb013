"""PNCC ("SECC") rendering at the canonical pose, as Real3D-Portrait's motion adapter consumes it.

Real3D renders the 3DMM with euler = 0, trans = 0 through Deep3DFaceRecon's pinhole camera
(focal 1015 px at a 224 px crop, so fov = 2·atan(112/1015) ≈ 12.59°; camera on +z at distance 10
looking at the origin; znear 5, zfar 15), colours = NCC codes, output mapped to [-1, 1] with the
background at -1 (mask 0 -> colour 0 -> -1). Eye faces can be dropped with `MorphableModel.without_faces`.
"""
from __future__ import annotations

import numpy as np
import torch

from .morphable import MorphableModel
from .rasterizer import rasterize

DEEP3D_FOCAL = 1015.0
DEEP3D_CENTER = 112.0
CAMERA_DISTANCE = 10.0
ZNEAR, ZFAR = 5.0, 15.0


def project_canonical(vertices: torch.Tensor) -> torch.Tensor:
    """(B, V, 3) model-space vertices -> (B, V, 4) clip coordinates for the rasteriser (y down)."""
    k = DEEP3D_FOCAL / DEEP3D_CENTER
    w = CAMERA_DISTANCE - vertices[..., 2]
    x = k * vertices[..., 0]
    y = -k * vertices[..., 1]
    z = (ZFAR + ZNEAR) / (ZFAR - ZNEAR) * w - 2 * ZFAR * ZNEAR / (ZFAR - ZNEAR)
    return torch.stack([x, y, z, w], dim=-1)


def vertex_pixels(vertices: np.ndarray, size: int) -> np.ndarray:
    """Direct projection of model-space vertices to (column, row) pixel coordinates (pixel centres at +0.5)."""
    k = DEEP3D_FOCAL / DEEP3D_CENTER
    w = CAMERA_DISTANCE - vertices[:, 2]
    x_ndc, y_ndc = k * vertices[:, 0] / w, -k * vertices[:, 1] / w
    return np.stack([(x_ndc + 1) * size / 2, (y_ndc + 1) * size / 2], axis=-1)


def render_pncc(model: MorphableModel, id_coeff=None, exp_coeffs=None, size: int = 512) -> torch.Tensor:
    """PNCC images (T, 3, size, size) in [-1, 1] for each row of exp_coeffs (None -> one neutral frame)."""
    exps = [None] if exp_coeffs is None else list(np.atleast_2d(np.asarray(exp_coeffs, dtype=np.float64)))
    verts = torch.as_tensor(np.stack([model.shape(id_coeff, e) for e in exps]), dtype=torch.float32)
    colours = torch.as_tensor(model.ncc_code, dtype=torch.float32).unsqueeze(0).expand(len(exps), -1, -1)
    faces = torch.as_tensor(model.faces, dtype=torch.long)
    image, mask, _ = rasterize(project_canonical(verts), faces, colours.contiguous(), size, size)
    return (image * mask - 0.5) / 0.5
