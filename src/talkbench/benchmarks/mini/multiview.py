"""The mini benchmark's multiview set: each portrait's textured face mesh seen by 8 cameras.

The 478-point mesh (mediapipe, in portrait pixels) is centred and scaled to face-height units, its
vertices take their texture from the portrait where the mesh was found, and the z-buffer
rasteriser draws it (perspective-correct texture coordinates) on a white background from two arcs
of four cameras: yaws -24°, -8°, 8°, 24° at elevations +8° and -8°. Cameras are OpenCV cam2world
with intrinsics normalised by the image size, looking at the face centre.
"""
from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from ...models.base import Camera
from ...models.components.rasterizer import interpolate, project_points, rasterize_fragments
from ...baselines.facemesh import closed_triangles
from ...geometry import rotation_from_euler
from .motion import FaceFrame, expression_offsets

YAWS_DEG = (-24.0, -8.0, 8.0, 24.0)
ELEVATIONS_DEG = (8.0, -8.0)
SERIALS = tuple(f"cam{i:02d}" for i in range(len(YAWS_DEG) * len(ELEVATIONS_DEG)))
DISTANCE = 3.6  # face heights
FOCAL = 2.6  # normalised (f / image size)
BACKGROUND = 1.0  # white


def arc_cameras() -> dict[str, Camera]:
    """serial -> Camera; the first arc (serials 0-3) is above the face, the second below."""
    cams = {}
    k = 0
    for elev in ELEVATIONS_DEG:
        for yaw in YAWS_DEG:
            # y points down, so looking down on the face from above is a negative pitch of the camera frame
            rot = rotation_from_euler(math.radians(-elev), math.radians(-yaw), 0.0)
            c2w = np.eye(4)
            c2w[:3, :3] = rot
            c2w[:3, 3] = rot @ np.array([0.0, 0.0, -DISTANCE])
            K = np.array([[FOCAL, 0.0, 0.5], [0.0, FOCAL, 0.5], [0.0, 0.0, 1.0]])
            cams[SERIALS[k]] = Camera(cam2world=c2w, intrinsics=K, recipe="opencv")
            k += 1
    return cams


def face_geometry(mesh: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(world points V×3 in face-height units centred on the face, the uv of each in the portrait)."""
    mesh = np.asarray(mesh, dtype=np.float64)
    ff = FaceFrame.of(mesh)
    centre = mesh.mean(0)
    return (mesh - centre) / ff.height, mesh[:, :2]


def render_views(portrait: np.ndarray, mesh: np.ndarray, cameras: dict[str, Camera], size: int,
                 mouth_open: float = 0.0, blink: float = 0.0) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """(frames, masks) per camera in the order of ``cameras``: uint8 size×size×3 and size×size."""
    moved = np.asarray(mesh, dtype=np.float64).copy()
    moved[:, :2] += expression_offsets(mesh, mouth_open, blink)
    world, _ = face_geometry(moved)
    _, uv = face_geometry(mesh)  # the texture stays attached to the neutral positions
    H, W = portrait.shape[:2]
    uv_ndc = torch.tensor((uv + 0.5) * np.array([2.0 / W, 2.0 / H]) - 1.0, dtype=torch.float32)
    serials = list(cameras)
    w2c = torch.tensor(np.stack([np.linalg.inv(cameras[s].cam2world) for s in serials]), dtype=torch.float64)
    K = torch.tensor(np.stack([cameras[s].intrinsics for s in serials]), dtype=torch.float64)
    pts = torch.tensor(world, dtype=torch.float64)[None].expand(len(serials), -1, -1)
    clip = project_points(pts, w2c, K)
    faces = torch.as_tensor(closed_triangles())
    frags = rasterize_fragments(clip, faces, size, size)
    grid = interpolate(frags, faces, uv_ndc[None].expand(len(serials), -1, -1).contiguous()).permute(0, 2, 3, 1)
    tex = torch.tensor(np.asarray(portrait)).permute(2, 0, 1)[None].float() / 255.0
    colour = F.grid_sample(tex.expand(len(serials), -1, -1, -1), grid, mode="bilinear", padding_mode="border",
                           align_corners=False)
    mask = frags.mask[:, None].float()
    image = colour * mask + BACKGROUND * (1 - mask)
    frames = (image.clamp(0, 1) * 255).round().to(torch.uint8).permute(0, 2, 3, 1).numpy()
    masks = (mask[:, 0] * 255).to(torch.uint8).numpy()
    return [np.ascontiguousarray(f) for f in frames], [np.ascontiguousarray(m) for m in masks]
