"""Triplane undistorter (seed 001 §3.5): a SPyNet-style coarse-to-fine flow pyramid per plane that predicts a
2-channel correction warp of the raw plane, conditioned on the canonical plane (T_corr = SPyNet(T_raw, T_cano),
T_undist = Warp(T_raw, T_corr)).

Each level's basic module sees [canonical plane, raw plane warped by the current flow, flow] and adds a
residual flow; the flow is in pixels of the plane (Δu along the width, Δv along the height) and doubles in
value when upsampled. The last convolution of every basic module starts at zero, so an untrained undistorter
applies the identity warp.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F


def flow_warp(x: torch.Tensor, flow: torch.Tensor, padding_mode: str = "zeros") -> torch.Tensor:
    """Bilinear backward warp: out[.., v, u] = x at (u + Δu, v + Δv); flow (B, 2, H, W) in pixels."""
    b, _, h, w = x.shape
    rows, cols = torch.meshgrid(torch.arange(h, device=x.device, dtype=x.dtype),
                                torch.arange(w, device=x.device, dtype=x.dtype), indexing="ij")
    u = cols + flow[:, 0]
    v = rows + flow[:, 1]
    grid = torch.stack([2 * u / max(w - 1, 1) - 1, 2 * v / max(h - 1, 1) - 1], dim=-1)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode=padding_mode, align_corners=True)


def resize_flow(flow: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Flow at another resolution: resampled, and its pixel values scaled by the size ratio."""
    h, w = flow.shape[-2:]
    out = F.interpolate(flow, size=size, mode="bilinear", align_corners=True)
    return torch.stack([out[:, 0] * (size[1] / w), out[:, 1] * (size[0] / h)], dim=1)


class BasicModule(nn.Module):
    """SPyNet's per-level network: 5 convolutions with ReLUs in between, ending in 2 flow channels."""

    def __init__(self, in_channels: int, widths=(32, 64, 32, 16), kernel: int = 7):
        super().__init__()
        layers, c = [], in_channels
        for w in widths:
            layers += [nn.Conv2d(c, w, kernel, 1, kernel // 2), nn.ReLU()]
            c = w
        layers.append(nn.Conv2d(c, 2, kernel, 1, kernel // 2))
        nn.init.zeros_(layers[-1].weight)
        nn.init.zeros_(layers[-1].bias)
        self.layers = nn.Sequential(*layers)

    def forward(self, x):
        return self.layers(x)


class PlaneUndistorter(nn.Module):
    def __init__(self, channels: int, levels: int = 6, widths=(32, 64, 32, 16), kernel: int = 7):
        super().__init__()
        self.levels = levels
        self.basic_module = nn.ModuleList([BasicModule(2 * channels + 2, widths, kernel) for _ in range(levels)])

    def forward(self, raw: torch.Tensor, cano: torch.Tensor) -> torch.Tensor:
        """raw, cano (B, C, H, W) -> correction (B, 2, H, W) in pixels."""
        raws, canos = [raw], [cano]
        for _ in range(self.levels - 1):
            raws.insert(0, F.avg_pool2d(raws[0], 2))
            canos.insert(0, F.avg_pool2d(canos[0], 2))
        flow = raw.new_zeros(raw.shape[0], 2, *raws[0].shape[-2:])
        for level, (r, c) in enumerate(zip(raws, canos)):
            if level:
                flow = resize_flow(flow, tuple(r.shape[-2:]))
            flow = flow + self.basic_module[level](torch.cat([c, flow_warp(r, flow), flow], dim=1))
        return flow
