"""The Coherent3D network (seed 001 Fig. 3): a frozen LP3D lifts the reference image to the canonical tri-plane
and each frame to a raw tri-plane; per plane p (three independent copies), the undistorter warps the raw plane,
the (shared) visibility estimator scores raw and canonical planes, and the fuser merges them.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..lp3d.network import LP3DNetwork
from .config import Coherent3DConfig
from .fuser import PlaneFuser
from .undistorter import PlaneUndistorter, flow_warp, resize_flow
from .visibility import VisibilityEstimator

N_PLANES = 3


class Coherent3DNetwork(nn.Module):
    def __init__(self, config: Coherent3DConfig | None = None):
        super().__init__()
        self.config = cfg = config or Coherent3DConfig()
        c = cfg.lp3d.plane_features
        self.lp3d = LP3DNetwork(cfg.lp3d)
        self.lp3d.requires_grad_(False)  # frozen lifter, decoder and SR (seed 001 §3.1)
        self.undistorters = nn.ModuleList([PlaneUndistorter(c, cfg.undistorter_levels, cfg.undistorter_widths,
                                                            cfg.undistorter_kernel) for _ in range(N_PLANES)])
        self.visibility = VisibilityEstimator(c, cfg.visibility_width)
        self.fusers = nn.ModuleList([PlaneFuser(c, cfg.fuser_dim, cfg.fuser_heads, cfg.fuser_blocks, cfg.fuser_recon_width)
                                     for _ in range(N_PLANES)])

    def trainable_modules(self) -> dict[str, nn.Module]:
        return {"undistorters": self.undistorters, "visibility": self.visibility, "fusers": self.fusers}

    def forward(self, raw: torch.Tensor, cano: torch.Tensor, hidden: list | None = None) -> dict:
        """raw, cano (B, 3, C, H, W) -> fused (B, 3, C, H, W) with every intermediate of Fig. 3 and the
        fusers' hidden states for the next frame."""
        vis_raw, vis_cano = self.visibility(raw), self.visibility(cano)
        size = tuple(raw.shape[-2:])
        up = lambda v: F.interpolate(v, size=size, mode="bilinear", align_corners=False)  # noqa: E731
        corr, undist, vis_undist, fused, new_hidden = [], [], [], [], []
        for p in range(N_PLANES):
            flow = self.undistorters[p](raw[:, p], cano[:, p])
            u = flow_warp(raw[:, p], flow)
            vu = flow_warp(vis_raw[:, p], resize_flow(flow, tuple(vis_raw.shape[-2:])))
            f, h = self.fusers[p](u, up(vu), cano[:, p], up(vis_cano[:, p]), None if hidden is None else hidden[p])
            corr.append(flow), undist.append(u), vis_undist.append(vu), fused.append(f), new_hidden.append(h)
        stack = lambda xs: torch.stack(xs, dim=1)  # noqa: E731
        return {"fused": stack(fused), "undist": stack(undist), "correction": stack(corr), "vis_raw": vis_raw,
                "vis_cano": vis_cano, "vis_undist": stack(vis_undist), "hidden": new_hidden}
