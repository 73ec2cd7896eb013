"""Rigid-motion maths shared by every layer: similarity fits (Umeyama), 2D similarity transforms, and
Euler rotations R = Rz(roll)·Ry(yaw)·Rx(pitch) with their inverse. One copy of each, numpy float64.

Deep3DFaceRecon's `compute_rotation` is the transpose of `rotation_from_euler` (row-vector points);
models/components/cameras.py builds on these rather than repeating them."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Similarity2D:
    """p -> scale · R(angle) · p + shift, on N×2 pixel coordinates."""

    scale: float = 1.0
    angle: float = 0.0  # radians, positive turns +x towards +y (clockwise on an image with rows down)
    shift: tuple[float, float] = (0.0, 0.0)

    @property
    def matrix(self) -> np.ndarray:
        c, s = math.cos(self.angle), math.sin(self.angle)
        return self.scale * np.array([[c, -s], [s, c]])

    def __call__(self, points: np.ndarray) -> np.ndarray:
        p = np.asarray(points, dtype=np.float64)
        return p @ self.matrix.T + np.asarray(self.shift)

    def linear(self, vectors: np.ndarray) -> np.ndarray:
        """Apply scale and rotation only (to displacements)."""
        return np.asarray(vectors, dtype=np.float64) @ self.matrix.T

    def inverse(self) -> "Similarity2D":
        inv = Similarity2D(1.0 / self.scale, -self.angle)
        sx, sy = inv.linear(np.asarray(self.shift)[None])[0]
        return Similarity2D(inv.scale, inv.angle, (-sx, -sy))

    def then(self, other: "Similarity2D") -> "Similarity2D":
        """The transform applying self first, then other."""
        shift = other(np.asarray(self.shift)[None])[0]
        return Similarity2D(self.scale * other.scale, self.angle + other.angle, (float(shift[0]), float(shift[1])))

    @classmethod
    def about(cls, centre: np.ndarray, scale: float, angle: float, shift=(0.0, 0.0)) -> "Similarity2D":
        """Scale and rotate about ``centre``, then translate by ``shift``."""
        base = cls(scale, angle)
        c = np.asarray(centre, dtype=np.float64)
        t = c - base(c[None])[0] + np.asarray(shift, dtype=np.float64)
        return cls(scale, angle, (float(t[0]), float(t[1])))

    @classmethod
    def fit(cls, src: np.ndarray, dst: np.ndarray) -> "Similarity2D":
        """Least-squares similarity mapping src (N×2) onto dst (Umeyama 1991, no reflection)."""
        scale, rot, t = similarity_fit(src, dst)
        return cls(scale, math.atan2(rot[1, 0], rot[0, 0]), (float(t[0]), float(t[1])))


def similarity_fit(src: np.ndarray, dst: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """(scale, R, t) minimising ‖s·R·src + t − dst‖² over proper rotations R, for N×D point sets (Umeyama 1991)."""
    src = np.asarray(src, dtype=np.float64)
    dst = np.asarray(dst, dtype=np.float64)
    if src.shape != dst.shape or src.ndim != 2 or len(src) < 2:
        raise ValueError(f"need two matching N×D point sets (N ≥ 2), got {src.shape} and {dst.shape}")
    mu_s, mu_d = src.mean(axis=0), dst.mean(axis=0)
    a, b = src - mu_s, dst - mu_d
    u, sig, vt = np.linalg.svd(b.T @ a / len(src))
    d = np.ones(src.shape[1])
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        d[-1] = -1.0
    rot = u @ np.diag(d) @ vt
    var_s = (a ** 2).sum() / len(src)
    scale = float((sig * d).sum() / var_s) if var_s > 0 else 1.0
    return scale, rot, mu_d - scale * rot @ mu_s


def rotation_from_euler(pitch: float, yaw: float, roll: float) -> np.ndarray:
    """3×3 rotation (radians) in image axes (x right, y down, z away from the viewer): R = Rz(roll)·Ry(yaw)·Rx(pitch)."""
    cx, sx = math.cos(pitch), math.sin(pitch)
    cy, sy = math.cos(yaw), math.sin(yaw)
    cz, sz = math.cos(roll), math.sin(roll)
    rx = np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]])
    ry = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    rz = np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]])
    return rz @ ry @ rx


def euler_from_rotation(rot: np.ndarray) -> np.ndarray:
    """(pitch, yaw, roll) of R = Rz(roll)·Ry(yaw)·Rx(pitch) (away from gimbal lock, |yaw| < π/2)."""
    m = np.asarray(rot, dtype=np.float64)
    yaw = np.arcsin(np.clip(-m[2, 0], -1.0, 1.0))
    pitch = np.arctan2(m[2, 1], m[2, 2])
    roll = np.arctan2(m[1, 0], m[0, 0])
    return np.array([pitch, yaw, roll], dtype=np.float64)


def most_frontal(cam2worlds) -> int:
    """Index of a rig's most frontal camera: its viewing axis (third column of the cam2world rotation) is
    closest to the rig's mean viewing axis; the first such camera on ties (axes compared to 1e-9)."""
    axes = np.stack([np.asarray(m, dtype=np.float64)[:3, 2] for m in cam2worlds])
    mean = axes.mean(0)
    return int(np.argmax(np.round(axes @ (mean / np.linalg.norm(mean)), 9)))
