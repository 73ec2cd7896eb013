"""Fixed meshes for the rasteriser tests and bench/test_rasterizer_speed.py (deterministic, no face detection)."""
from __future__ import annotations

import numpy as np
import torch
from scipy.spatial import ConvexHull, Delaunay

from talkbench.models.components.rasterizer import project_points


def portrait_warp_mesh(seed: int):
    """meshwarp-like: ~480 face points plus a ring of frame-border points, Delaunay over the frame, NDC."""
    rng = np.random.default_rng(seed)
    face = rng.normal(0, 0.3, (478, 2)).clip(-0.9, 0.9)
    edge = np.linspace(-1.2, 1.2, 9)
    border = np.array([[x, y] for x in edge for y in (-1.2, 1.2)] + [[x, y] for y in edge[1:-1] for x in (-1.2, 1.2)])
    pts = np.concatenate([face, border])
    faces = torch.from_numpy(Delaunay(pts).simplices.astype(np.int64))
    z = rng.uniform(0, 1, len(pts))
    verts = torch.tensor(np.concatenate([pts, z[:, None]], 1))[None].repeat(2, 1, 1)
    verts[1, :, :2] += 0.013  # a second, shifted frame in the batch
    return verts, faces


def closed_clip_mesh(seed: int):
    """A closed, bumpy sphere seen in perspective by two cameras (clip coordinates, both windings)."""
    rng = np.random.default_rng(seed)
    dirs = rng.normal(size=(300, 3))
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    faces = torch.from_numpy(ConvexHull(dirs).simplices.astype(np.int64))
    pts = torch.from_numpy(dirs * rng.uniform(0.9, 1.1, (300, 1)))[None].repeat(2, 1, 1)
    w2c = torch.eye(4, dtype=torch.float64).repeat(2, 1, 1)
    w2c[:, 2, 3] = torch.tensor([3.0, 2.2])
    w2c[1, 0, 3] = 0.4
    K = torch.tensor([[1.1, 0, 0.5], [0, 1.1, 0.5], [0, 0, 1.0]], dtype=torch.float64).repeat(2, 1, 1)
    return project_points(pts, w2c, K), faces


def on_pixel_centres_mesh():
    """A grid mesh whose vertices sit exactly on pixel centres: every shared edge passes through centres (ties)."""
    n, size = 9, 33
    coords = [(2 * (4 * i) + 1) / size - 1 for i in range(n)]
    pts = torch.tensor([[x, y, 0.5] for y in coords for x in coords], dtype=torch.float64)
    quads = [(r * n + c, r * n + c + 1, (r + 1) * n + c, (r + 1) * n + c + 1) for r in range(n - 1) for c in range(n - 1)]
    faces = torch.tensor([t for a, b, c, d in quads for t in ((a, b, c), (b, d, c))])
    return pts[None], faces, size
