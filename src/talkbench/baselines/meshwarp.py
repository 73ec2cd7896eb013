"""Mesh-guided image warps: move face-mesh points, and the image follows piecewise-affinely.

A WarpRig holds the control points of one portrait: the 478 mesh points, a ring around the head
(which moves rigidly with it and carries the hair and ears along) and points on the image border
(which stay put). Their Delaunay triangulation, taken once at the neutral positions, is drawn at
the moved positions with the z-buffer rasteriser: each output pixel takes the source position its
triangle maps it from (an affine map per triangle), and where the face folds over itself under a
head turn, the nearer surface wins. The mini benchmark's generator and the landmark-warp baseline
share this code: one makes ground truth with known motion, the other reenacts from landmarks.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from ..models.components.rasterizer import interpolate, rasterize_fragments

#: ring radius relative to the face's half extent, and its point count
RING_SCALE = (1.5, 1.35)
RING_POINTS = 24
BORDER_POINTS_PER_SIDE = 8


@dataclass(frozen=True)
class WarpRig:
    height: int
    width: int
    mesh: np.ndarray  # 478×3 neutral mesh (pixels; z negative towards the viewer)
    ring: np.ndarray  # R×2 neutral ring points
    border: np.ndarray  # K×2 fixed border points
    triangles: np.ndarray  # T×3 int64 over [mesh, ring, border]

    @property
    def centre(self) -> np.ndarray:
        return self.mesh[:, :2].mean(0)

    @property
    def ring_depth(self) -> float:
        """Depth given to ring points: behind the whole face."""
        span = float(np.ptp(self.mesh[:, 0]))
        return float(self.mesh[:, 2].max()) + span

    @property
    def neutral_points(self) -> np.ndarray:
        return np.concatenate([self.mesh[:, :2], self.ring, self.border])

    def points(self, mesh_xy: np.ndarray, ring_xy: np.ndarray) -> np.ndarray:
        """All control points (N×2) for moved mesh and ring points; the border never moves."""
        return np.concatenate([np.asarray(mesh_xy)[:, :2], ring_xy, self.border])

    def depths(self, mesh_z: np.ndarray) -> np.ndarray:
        z_ring = np.full(len(self.ring), self.ring_depth)
        z_border = np.full(len(self.border), self.ring_depth * 2 + 1.0)
        return np.concatenate([np.asarray(mesh_z, dtype=np.float64), z_ring, z_border])


def build_rig(mesh: np.ndarray, height: int, width: int) -> WarpRig:
    """Control points and triangulation for a portrait whose neutral mesh is ``mesh`` (478×3)."""
    from scipy.spatial import Delaunay

    mesh = np.asarray(mesh, dtype=np.float64)
    xy = mesh[:, :2]
    lo, hi = xy.min(0), xy.max(0)
    centre, half = (lo + hi) / 2, (hi - lo) / 2
    angles = np.linspace(0, 2 * np.pi, RING_POINTS, endpoint=False)
    ring = centre + np.stack([np.cos(angles) * half[0] * RING_SCALE[0], np.sin(angles) * half[1] * RING_SCALE[1]], 1)
    ring = np.clip(ring, [1.0, 1.0], [width - 2.0, height - 2.0])
    t = np.linspace(0, 1, BORDER_POINTS_PER_SIDE, endpoint=False)
    x0, y0, x1, y1 = -0.5, -0.5, width - 0.5, height - 0.5  # pixel-edge corners: the hull covers every pixel centre
    border = np.concatenate([
        np.stack([x0 + t * (x1 - x0), np.full_like(t, y0)], 1),
        np.stack([np.full_like(t, x1), y0 + t * (y1 - y0)], 1),
        np.stack([x1 - t * (x1 - x0), np.full_like(t, y1)], 1),
        np.stack([np.full_like(t, x0), y1 - t * (y1 - y0)], 1),
    ])
    points = np.concatenate([xy, ring, border])
    tri = Delaunay(points).simplices.astype(np.int64)
    return WarpRig(int(height), int(width), mesh, ring, border, np.ascontiguousarray(np.sort(tri, axis=1)))


def _to_ndc(points: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """Pixel coordinates (centres at integers) to [-1, 1] (edges), the rasteriser's and grid_sample's frame."""
    scale = torch.tensor([2.0 / width, 2.0 / height], dtype=points.dtype)
    return (points + 0.5) * scale - 1.0


def warp(images: torch.Tensor, src_points: np.ndarray, dst_points: np.ndarray, dst_depth: np.ndarray,
         triangles: np.ndarray) -> torch.Tensor:
    """Warp ``images`` (1 or B ×3×H×W float in [0,1]) so that src_points (N×2) land on dst_points (B×N×2).

    Pixels of the output take bilinear samples of the source at the position their triangle maps
    them from; dst_depth (B×N) orders overlapping triangles (smaller = nearer).
    """
    dst = torch.as_tensor(np.asarray(dst_points), dtype=torch.float64)
    if dst.dim() == 2:
        dst = dst[None]
    B = dst.shape[0]
    H, W = images.shape[-2:]
    depth = torch.as_tensor(np.asarray(dst_depth), dtype=torch.float64).reshape(B, -1, 1)
    verts = torch.cat([_to_ndc(dst, H, W), depth], -1)
    faces = torch.as_tensor(triangles, dtype=torch.long)
    frags = rasterize_fragments(verts, faces, H, W)
    src = _to_ndc(torch.as_tensor(np.asarray(src_points), dtype=torch.float64), H, W).float()
    grid = interpolate(frags, faces, src[None].expand(B, -1, -1).contiguous())  # B×2×H×W
    identity = _to_ndc(torch.stack(torch.meshgrid(torch.arange(W, dtype=torch.float64), torch.arange(H, dtype=torch.float64),
                                                  indexing="xy"), -1), H, W).float()
    grid = torch.where(frags.mask[..., None], grid.permute(0, 2, 3, 1), identity[None])
    imgs = images.float()
    if imgs.shape[0] == 1 and B > 1:
        imgs = imgs.expand(B, -1, -1, -1)
    return F.grid_sample(imgs, grid, mode="bilinear", padding_mode="border", align_corners=False).clamp(0, 1)


def to_tensor(frame: np.ndarray) -> torch.Tensor:
    return torch.tensor(np.asarray(frame)).permute(2, 0, 1)[None].float() / 255.0


def to_frames(images: torch.Tensor) -> list[np.ndarray]:
    """B×3×H×W [0,1] -> uint8 H×W×3 frames (rounded, so equal inputs give equal bytes)."""
    arr = (images.clamp(0, 1) * 255.0).round().to(torch.uint8).permute(0, 2, 3, 1).numpy()
    return [np.ascontiguousarray(a) for a in arr]
