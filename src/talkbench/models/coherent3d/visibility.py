"""Visibility (seed 001 §3.6): the 5-layer ConvNet estimator V (one network for all planes) mapping a plane
(C, H, W) to a visibility map (1, H/2, W/2), and the ground-truth visibility talkbench trains it against.

Ground truth (the paper defers it to its supplement, which talkbench does not have; this is our definition):
march the rays of a camera through a tri-plane (EG3D stratified samples, no jitter), project every sample
onto the three planes, and keep the largest rendering weight of the samples falling in each texel; a texel
is visible (1) when that weight exceeds `threshold`, else 0 (so thin empty space in front of a surface,
whose samples each weigh little, is not "visible"; the surface is, on every plane).
"""
from __future__ import annotations

import torch
import torch.nn as nn

from ..components.rays import sample_rays
from ..components.renderer import ImportanceRenderer, march
from ..components.triplane import project_onto_planes


class VisibilityEstimator(nn.Module):
    def __init__(self, channels: int, width: int = 32):
        super().__init__()
        act = lambda: nn.LeakyReLU(0.2)  # noqa: E731
        self.layers = nn.Sequential(
            nn.Conv2d(channels, width, 3, 1, 1), act(),
            nn.Conv2d(width, width, 3, 2, 1), act(),
            nn.Conv2d(width, width, 3, 1, 1), act(),
            nn.Conv2d(width, width, 3, 1, 1), act(),
            nn.Conv2d(width, 1, 3, 1, 1), nn.Sigmoid())

    def forward(self, planes: torch.Tensor) -> torch.Tensor:
        """(B, 3, C, H, W) -> (B, 3, 1, H/2, W/2) in [0, 1]."""
        b, n = planes.shape[:2]
        out = self.layers(planes.flatten(0, 1))
        return out.view(b, n, 1, *out.shape[-2:])


@torch.no_grad()
def visibility_ground_truth(planes: torch.Tensor, decoder, renderer: ImportanceRenderer, cam2world: torch.Tensor,
                            intrinsics: torch.Tensor, ray_resolution: int, out_resolution: int, samples: int = 24,
                            threshold: float = 0.05) -> torch.Tensor:
    """(B, 3, 1, R, R) binary visibility of each plane texel from the camera (see the module docstring)."""
    o = renderer.options
    b = planes.shape[0]
    origins, dirs = sample_rays(cam2world, intrinsics, ray_resolution)
    start, end, _ = renderer.near_far(origins, dirs)
    t = torch.linspace(0, 1, samples, device=planes.device).reshape(1, 1, samples, 1)
    depths = start.unsqueeze(-2) + (end - start).unsqueeze(-2) * t
    colors, dens = renderer.run_model(planes, decoder, origins, dirs, depths)
    _, _, weights = march(colors, dens, depths, o.clamp_mode, o.white_back)  # (B, M, S-1, 1)
    mid = (depths[:, :, :-1] + depths[:, :, 1:]) / 2
    pts = (origins.unsqueeze(-2) + mid * dirs.unsqueeze(-2)).reshape(b, -1, 3)
    uv = project_onto_planes(pts * (2.0 / o.box_warp), o.plane_convention)  # (B, 3, P, 2) in [-1, 1] inside
    col = torch.floor((uv[..., 0] + 1) / 2 * out_resolution).long()
    row = torch.floor((uv[..., 1] + 1) / 2 * out_resolution).long()
    inside = (col >= 0) & (col < out_resolution) & (row >= 0) & (row < out_resolution)
    w = weights.reshape(b, 1, -1).expand(-1, 3, -1) * inside
    idx = (row.clamp(0, out_resolution - 1) * out_resolution + col.clamp(0, out_resolution - 1))
    top = torch.zeros(b, 3, out_resolution * out_resolution, device=planes.device).scatter_reduce_(2, idx, w, "amax")
    return (top > threshold).float().view(b, 3, 1, out_resolution, out_resolution)
