"""Motion adapter (MA): 9-channel PNCC (canonical, source, target) -> additive tri-plane (≈5.7M params).

prenet (equalised 1×1 conv 9->3) -> MiT-b0 -> SegFormer head (256 @ 1/4) -> to_plane_cnn -> flips.
No ImageNet / mit_b0.pth is loaded at construction (the official class does; ours never downloads).
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..components.equalized import Conv2dLayer
from ..components.mit import MIT_CONFIGS, MixVisionTransformer, SegFormerHead
from .img2plane import flip_planes


class _UpsampleBilinear(nn.Module):
    def forward(self, x):
        return F.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=True)


class SegFormerSECC2PlaneBackbone(nn.Module):
    def __init__(self, mode: str = "b0", out_channels: int = 96, in_dim: int = 9):
        super().__init__()
        cfg = MIT_CONFIGS[mode]
        self.prenet = Conv2dLayer(in_dim, 3, 1)
        self.mix_vit = MixVisionTransformer(cfg)
        self.fuse_head = SegFormerHead(cfg.embed_dims, 256)
        self.to_plane_cnn = nn.Sequential(
            nn.Conv2d(256, 256, 3, 1, 1), nn.LeakyReLU(0.01),
            nn.Conv2d(256, 256, 3, 1, 1), nn.LeakyReLU(0.01),
            nn.Conv2d(256, 256, 3, 1, 1), nn.LeakyReLU(0.01),
            _UpsampleBilinear(),
            nn.Conv2d(256, out_channels, 3, 1, 1),
        )

    def forward(self, pncc: torch.Tensor) -> torch.Tensor:
        x = self.prenet(pncc)
        return flip_planes(self.to_plane_cnn(self.fuse_head(self.mix_vit(x))))
