"""GOHA's lifting of appearance features onto the tri-plane by point rasterisation.

1. Render the (canonical + expression) tri-plane at the source camera at the lifting resolution R
   (R = input/4 = 128, one ray per appearance-feature pixel); the expected depth along each ray gives a
   point p = ray_origin + depth · ray_direction, so the point cloud has R² points in pixel order.
2. For each plane (xy, xz, zy: the fixed EG3D axes, coordinates ×2/box_warp) and each texel of an R×R
   grid whose centres are `linspace(-1, 1, R)` in both directions (u along the columns, v along the
   rows, the released `uv` buffer), take the point whose projection is nearest (Euclidean, ties -> the
   lowest pixel index, as argmin) and copy that pixel's feature. Every texel gets a feature, even far
   from any point (nearest neighbour, no splatting radius), as released.
Batched: the distances are computed per batch element in chunks of texels, so memory stays bounded
(the released code builds the full R²×R² distance matrix per plane).
"""
from __future__ import annotations

import torch

from ..components.rays import sample_rays
from ..components.triplane import PLANE_AXES

TEXEL_CHUNK = 4096


def uv_grid(resolution: int) -> torch.Tensor:
    """(1, R², 2) texel coordinates, row-major; entry r·R + c = (linspace[c], linspace[r])."""
    lin = torch.linspace(-1, 1, steps=resolution)
    v, u = torch.meshgrid(lin, lin, indexing="ij")
    return torch.stack((u, v), dim=-1).view(1, -1, 2)


def depth_to_points(cam2world: torch.Tensor, intrinsics: torch.Tensor, depth: torch.Tensor) -> torch.Tensor:
    """depth (B, 1, R, R) along the rays of a R×R render -> (B, R², 3) world points (pixel order)."""
    b, res = depth.shape[0], depth.shape[-1]
    origins, dirs = sample_rays(cam2world, intrinsics, res)
    return origins + depth.reshape(b, -1, 1) * dirs


def nearest_point_index(grid: torch.Tensor, points: torch.Tensor, chunk: int = TEXEL_CHUNK) -> torch.Tensor:
    """grid (B, T, 2), points (B, N, 2) -> (B, T) index of the nearest point for each grid texel."""
    out = []
    for start in range(0, grid.shape[1], chunk):
        out.append(torch.cdist(grid[:, start:start + chunk], points).argmin(dim=-1))
    return torch.cat(out, dim=1)


def rasterize_to_planes(points: torch.Tensor, features: torch.Tensor, uv: torch.Tensor, box_warp: float = 1.0,
                        convention: str = "fixed") -> torch.Tensor:
    """points (B, N, 3) (N = H·W), features (B, C, H, W), uv (1, T, 2) with T = R² -> (B, 3, C, R, R)."""
    b, c = features.shape[:2]
    res = int(round(uv.shape[1] ** 0.5))
    flat = features.permute(0, 2, 3, 1).reshape(b, -1, c)
    if flat.shape[1] != points.shape[1]:
        raise ValueError(f"{points.shape[1]} points for {flat.shape[1]} feature pixels")
    grid = uv.to(points).expand(b, -1, -1)
    scaled = points * (2.0 / box_warp)
    planes = []
    for axes in PLANE_AXES[convention]:
        idx = nearest_point_index(grid, scaled[..., list(axes)])
        gathered = torch.gather(flat, 1, idx.unsqueeze(-1).expand(-1, -1, c))
        planes.append(gathered.view(b, res, res, c).permute(0, 3, 1, 2))
    return torch.stack(planes, dim=1)
