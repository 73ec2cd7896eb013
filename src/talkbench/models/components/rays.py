"""EG3D ray sampler: OpenCV cam2world + normalised intrinsics, pixel centres at (i + 0.5) / res."""
from __future__ import annotations

import torch


def pixel_grid(resolution: int, device=None) -> torch.Tensor:
    """(res², 2) normalised (x = column, y = row) pixel centres, row-major."""
    i = (torch.arange(resolution, device=device, dtype=torch.float32) + 0.5) / resolution
    rows, cols = torch.meshgrid(i, i, indexing="ij")
    return torch.stack([cols, rows], dim=-1).reshape(-1, 2)


def sample_rays(cam2world: torch.Tensor, intrinsics: torch.Tensor, resolution: int):
    """cam2world (N, 4, 4), intrinsics (N, 3, 3) normalised -> origins, unit directions (N, res², 3)."""
    n = cam2world.shape[0]
    fx, fy = intrinsics[:, 0, 0, None], intrinsics[:, 1, 1, None]
    cx, cy, sk = intrinsics[:, 0, 2, None], intrinsics[:, 1, 2, None], intrinsics[:, 0, 1, None]
    uv = pixel_grid(resolution, cam2world.device).unsqueeze(0).expand(n, -1, -1)
    x_cam, y_cam = uv[..., 0], uv[..., 1]
    x_lift = (x_cam - cx + cy * sk / fy - sk * y_cam / fy) / fx
    y_lift = (y_cam - cy) / fy
    ones = torch.ones_like(x_lift)
    cam_points = torch.stack([x_lift, y_lift, ones, ones], dim=-1)  # (N, M, 4)
    world = torch.bmm(cam2world.float(), cam_points.transpose(1, 2)).transpose(1, 2)[..., :3]
    origins = cam2world[:, None, :3, 3].float().expand(-1, world.shape[1], -1)
    dirs = torch.nn.functional.normalize(world - origins, dim=-1)
    return origins.contiguous(), dirs
