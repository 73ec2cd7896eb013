"""EG3D's OSGDecoder: mean of the 3 plane features -> FC(32→64) -> softplus -> FC(64→1+C).

Channel 0 is raw density; the rest go through a widened sigmoid (MipNeRF-style, ε = 0.001).
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from .equalized import FullyConnectedLayer

SIGMOID_WIDEN = 0.001


class _Softplus(nn.Module):
    def forward(self, x):
        return F.softplus(x)


class OSGDecoder(nn.Module):
    def __init__(self, n_features: int = 32, hidden_dim: int = 64, output_dim: int = 32, lr_multiplier: float = 1.0):
        super().__init__()
        self.net = nn.Sequential(
            FullyConnectedLayer(n_features, hidden_dim, lr_multiplier=lr_multiplier),
            _Softplus(),
            FullyConnectedLayer(hidden_dim, 1 + output_dim, lr_multiplier=lr_multiplier),
        )

    def forward(self, sampled_features: torch.Tensor, ray_directions: torch.Tensor | None = None) -> dict:
        """sampled_features (N, 3, M, C) -> {'rgb': (N, M, out), 'sigma': (N, M, 1)}."""
        x = sampled_features.mean(1)
        n, m, c = x.shape
        x = self.net(x.reshape(n * m, c)).reshape(n, m, -1)
        rgb = torch.sigmoid(x[..., 1:]) * (1 + 2 * SIGMOID_WIDEN) - SIGMOID_WIDEN
        return {"rgb": rgb, "sigma": x[..., 0:1]}
