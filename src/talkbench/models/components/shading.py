"""Deep3DFaceRecon's face colour: per-vertex normals and 9-band spherical-harmonics (SH) lighting.

Facts (Deep3DFaceRecon_pytorch `ParametricFaceModel`): the 27 `gamma` coefficients are 3 colour
channels × 9 SH bands, with `init_lit` 0.8 added to band 0 of every channel; the SH basis uses
a = (π, 2π/√3, 2π/√8), c = (1/√(4π), √3/√(4π), 3√5/√(12π)); colour = albedo · (Y(n) · γ) per channel,
with n the rotated vertex normal. Vertex normals are the normalised sum of the normalised normals
cross(v0 − v1, v1 − v2) of the faces around the vertex.
"""
from __future__ import annotations

import math

import torch

SH_A = (math.pi, 2 * math.pi / math.sqrt(3.0), 2 * math.pi / math.sqrt(8.0))
SH_C = (1 / math.sqrt(4 * math.pi), math.sqrt(3.0) / math.sqrt(4 * math.pi), 3 * math.sqrt(5.0) / math.sqrt(12 * math.pi))
INIT_LIGHT = 0.8


def vertex_normals(vertices: torch.Tensor, faces: torch.Tensor) -> torch.Tensor:
    """(B, V, 3) vertices, (F, 3) faces -> (B, V, 3) unit vertex normals."""
    v0, v1, v2 = (vertices[:, faces[:, k]] for k in range(3))
    face_n = torch.nn.functional.normalize(torch.cross(v0 - v1, v1 - v2, dim=-1), dim=-1)
    normals = torch.zeros_like(vertices)
    for k in range(3):
        normals.index_add_(1, faces[:, k], face_n)
    return torch.nn.functional.normalize(normals, dim=-1)


def sh_basis(normals: torch.Tensor) -> torch.Tensor:
    """(..., 3) unit normals -> (..., 9) Deep3DFaceRecon's SH basis values."""
    a, c = SH_A, SH_C
    x, y, z = normals[..., 0:1], normals[..., 1:2], normals[..., 2:3]
    return torch.cat([
        a[0] * c[0] * torch.ones_like(x), -a[1] * c[1] * y, a[1] * c[1] * z, -a[1] * c[1] * x,
        a[2] * c[2] * x * y, -a[2] * c[2] * y * z, 0.5 * a[2] * c[2] / math.sqrt(3.0) * (3 * z ** 2 - 1),
        -a[2] * c[2] * x * z, 0.5 * a[2] * c[2] * (x ** 2 - y ** 2)], dim=-1)


def sh_shade(albedo: torch.Tensor, normals: torch.Tensor, gamma: torch.Tensor) -> torch.Tensor:
    """albedo (B, V, 3) in [0, 1], rotated normals (B, V, 3), gamma (B, 27) -> colours (B, V, 3)."""
    g = gamma.reshape(-1, 3, 9).clone()
    g[:, :, 0] += INIT_LIGHT
    light = sh_basis(normals) @ g.transpose(1, 2)  # (B, V, 3)
    return light * albedo
