"""Small rigid-motion helpers: 2D similarity transforms (least-squares fit) and 3D rotations."""
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
        src = np.asarray(src, dtype=np.float64)
        dst = np.asarray(dst, dtype=np.float64)
        ms, md = src.mean(0), dst.mean(0)
        a, b = src - ms, dst - md
        var = (a ** 2).sum() / len(a)
        cov = b.T @ a / len(a)
        # for 2D similarities the optimum rotation angle has a closed form
        angle = math.atan2(cov[1, 0] - cov[0, 1], cov[0, 0] + cov[1, 1])
        c, s = math.cos(angle), math.sin(angle)
        scale = float((cov[0, 0] + cov[1, 1]) * c + (cov[1, 0] - cov[0, 1]) * s) / var
        t = md - scale * (np.array([[c, -s], [s, c]]) @ ms)
        return cls(scale, angle, (float(t[0]), float(t[1])))


def rotation_xyz(pitch: float, yaw: float, roll: float) -> np.ndarray:
    """3×3 rotation (radians) in image axes (x right, y down, z away from the viewer): R = Rz(roll)·Ry(yaw)·Rx(pitch)."""
    cx, sx = math.cos(pitch), math.sin(pitch)
    cy, sy = math.cos(yaw), math.sin(yaw)
    cz, sz = math.cos(roll), math.sin(roll)
    rx = np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]])
    ry = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    rz = np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]])
    return rz @ ry @ rx
