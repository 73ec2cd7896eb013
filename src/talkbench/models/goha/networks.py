"""GOHA's plane heads (`src/models/networks.py` layout): Embed2Plane and IDUpsampler."""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

PLANE_NAMES = ("xy", "xz", "zy")


class Embed2Plane(nn.Module):
    """256-ch SegFormer feature at 1/4 (128²) -> tri-plane (B, 3, out/3, 2·H, 2·W):
    conv 3×3 →256, conv →128, ConvT(4, 2, 1) →128 (×2), conv →128, conv →out, LeakyReLU 0.2 between."""

    def __init__(self, in_dim: int = 256, out_dim: int = 96):
        super().__init__()
        self.up_layers = nn.Sequential(
            nn.Conv2d(in_dim, 256, 3, 1, 1), nn.LeakyReLU(0.2),
            nn.Conv2d(256, 128, 3, 1, 1), nn.LeakyReLU(0.2),
            nn.ConvTranspose2d(128, 128, 4, 2, 1), nn.LeakyReLU(0.2),
            nn.Conv2d(128, 128, 3, 1, 1), nn.LeakyReLU(0.2),
            nn.Conv2d(128, out_dim, 3, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.up_layers(x)
        return x.view(x.shape[0], 3, x.shape[1] // 3, x.shape[2], x.shape[3])


def _up_branch(in_dim: int, out_dim: int) -> nn.Sequential:
    return nn.Sequential(nn.ConvTranspose2d(in_dim, 128, 4, 2, 1), nn.LeakyReLU(0.2), nn.Conv2d(128, out_dim, 3, 1, 1))


class IDUpsampler(nn.Module):
    """Lifted feature planes (B, 3, C, H, W) -> (B, 3, out, 2H, 2W): per plane a 1×1 skip conv on the
    bilinearly doubled input plus a ConvT(4, 2, 1) → LReLU → conv 3×3 branch.

    Released quirk, replicated because the checkpoint was trained with it: forward uses `up_xy` for all
    three planes; `up_xz` and `up_zy` exist (and load) but never run. The skips are per plane.
    """

    def __init__(self, in_dim: int = 256, out_dim: int = 32):
        super().__init__()
        self.up_xy = _up_branch(in_dim, out_dim)
        self.up_xz = _up_branch(in_dim, out_dim)
        self.up_zy = _up_branch(in_dim, out_dim)
        self.skip_xy = nn.Conv2d(in_dim, out_dim, 1, 1, 0)
        self.skip_xz = nn.Conv2d(in_dim, out_dim, 1, 1, 0)
        self.skip_zy = nn.Conv2d(in_dim, out_dim, 1, 1, 0)

    #: the branch each plane actually runs through (all `up_xy`, as released)
    up_used = ("up_xy", "up_xy", "up_xy")

    def forward(self, planes: torch.Tensor) -> torch.Tensor:
        out = []
        for i, name in enumerate(PLANE_NAMES):
            x = planes[:, i]
            size = (2 * x.shape[-2], 2 * x.shape[-1])
            skip = getattr(self, f"skip_{name}")(F.interpolate(x, size=size, mode="bilinear", align_corners=False))
            out.append(skip + getattr(self, self.up_used[i])(x))
        return torch.stack(out, dim=1)
