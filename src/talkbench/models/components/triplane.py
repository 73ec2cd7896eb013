"""Tri-plane feature sampling with both plane-axis conventions.

EG3D's `generate_planes()` projects a point onto (x, y), (x, z) and (z, x): the third plane was meant
to be the Y-Z plane but samples (z, x) (NVlabs/eg3d#67). EG3D checkpoints, Real3D-Portrait and LP3D
re-implementations use that original layout; GOHA, Talk3D and Next3D use the fixed (z, y) plane.
The convention is a per-model flag: loading a checkpoint with the wrong one silently breaks side views.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

#: plane-axis convention -> for each of the 3 planes, which coordinate indices give (u, v)
PLANE_AXES: dict[str, tuple[tuple[int, int], ...]] = {
    "eg3d": ((0, 1), (0, 2), (2, 0)),   # xy, xz, zx (original EG3D, Real3D-Portrait)
    "fixed": ((0, 1), (0, 2), (2, 1)),  # xy, xz, zy (GOHA, Talk3D, Next3D)
}


def project_onto_planes(coordinates: torch.Tensor, convention: str = "eg3d") -> torch.Tensor:
    """coordinates (N, M, 3) -> (N, 3, M, 2) plane coordinates (u, v) per plane."""
    try:
        axes = PLANE_AXES[convention]
    except KeyError:
        raise ValueError(f"unknown plane convention {convention!r}; use one of {sorted(PLANE_AXES)}") from None
    return torch.stack([coordinates[..., list(uv)] for uv in axes], dim=1)


def sample_from_planes(planes: torch.Tensor, coordinates: torch.Tensor, box_warp: float = 1.0,
                       convention: str = "eg3d") -> torch.Tensor:
    """Bilinearly sample tri-plane features.

    planes: (N, 3, C, H, W); coordinates: (N, M, 3) in world units, the box is [-box_warp/2, box_warp/2]^3.
    Returns (N, 3, M, C). Outside the box features are zero (grid_sample padding 'zeros',
    align_corners=False: plane texel centres sit at (i + 0.5) / res of the box).
    u indexes the plane's width (last dim), v its height.
    """
    n, n_planes, c, h, w = planes.shape
    m = coordinates.shape[1]
    grid = project_onto_planes(coordinates * (2.0 / box_warp), convention)  # (N, 3, M, 2)
    grid = grid.reshape(n * n_planes, 1, m, 2)
    feats = F.grid_sample(planes.reshape(n * n_planes, c, h, w).float(), grid.float(), mode="bilinear",
                          padding_mode="zeros", align_corners=False)  # (N*3, C, 1, M)
    return feats.permute(0, 3, 2, 1).reshape(n, n_planes, m, c)
