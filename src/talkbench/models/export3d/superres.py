"""Super-resolution from the H/4 raw render to H (seed 004 §3.3): plain convolutional blocks, no
style modulation (the paper: "Instead of using style-modulated convolution ... plane convolutional
blocks"). Each block doubles the resolution (bilinear), applies two 3×3 convs, and adds its 1×1 RGB
output to the upsampled RGB of the previous level (the EG3D skip architecture without styles)."""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F


class SRBlock(nn.Module):
    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.conv0 = nn.Conv2d(cin, cout, 3, 1, 1)
        self.conv1 = nn.Conv2d(cout, cout, 3, 1, 1)
        self.torgb = nn.Conv2d(cout, 3, 1)

    def forward(self, x: torch.Tensor, rgb: torch.Tensor):
        up = lambda t: F.interpolate(t, scale_factor=2, mode="bilinear", align_corners=False)  # noqa: E731
        x = F.leaky_relu(self.conv0(up(x)), 0.2)
        x = F.leaky_relu(self.conv1(x), 0.2)
        return x, up(rgb) + self.torgb(x)


class ConvSuperResolution(nn.Module):
    def __init__(self, in_channels: int = 32, channels: tuple[int, ...] = (128, 64)):
        super().__init__()
        self.blocks = nn.ModuleList(SRBlock(a, b) for a, b in zip((in_channels,) + tuple(channels[:-1]), channels))

    def forward(self, rgb: torch.Tensor, features: torch.Tensor) -> torch.Tensor:
        """rgb (B, 3, R, R), features (B, C, R, R) -> (B, 3, R·2^k, R·2^k)."""
        x = features
        for blk in self.blocks:
            x, rgb = blk(x, rgb)
        return rgb
