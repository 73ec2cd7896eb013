"""Head-torso-background super-resolution (HTB-SR, `SuperresolutionHybrid8XDC_Warp`, fuse mode v2).

128² head features/RGB -> block0 (256²); torso branch (warped source torso); background encoder;
head α = rendered opacity; person = head·α + torso·(1-α) -> fuse convs + head_torso_block;
head occlusion = α with values above `head_threshold` (0.9) snapped to 1; person occlusion =
clamp(torso alpha + head occlusion); composite over the background -> fuse -> block1 (512²).
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..components.stylegan2 import SuperresolutionHybrid8XDC, SynthesisBlock
from .torso import WarpBasedTorsoModel


def _seq_lrelu(*convs: nn.Module) -> nn.Sequential:
    layers = []
    for i, c in enumerate(convs):
        layers.append(c)
        if i < len(convs) - 1:
            layers.append(nn.LeakyReLU())  # slope 0.01, as nn.LeakyReLU() defaults
    return nn.Sequential(*layers)


class HTBSuperResolution(SuperresolutionHybrid8XDC):
    def __init__(self, channels: int = 32, w_dim: int = 512, head_threshold: float = 0.9, antialias: bool = True,
                 torso_in_dim: int = 5, torso_keypoints: int = 4):
        super().__init__(channels, w_dim, 128, antialias)
        self.head_threshold = head_threshold
        self.torso_model = WarpBasedTorsoModel(torso_in_dim, torso_keypoints)
        self.torso_encoder = nn.Sequential(nn.Conv2d(64, 256, 1, 1, 0))
        self.bg_encoder = _seq_lrelu(nn.Conv2d(3, 64, 3, 1, 1), nn.Conv2d(64, 256, 3, 1, 1), nn.Conv2d(256, 256, 3, 1, 1))
        # constructed by the official code for every fuse mode but v1; only mode v3 uses it
        self.head_torso_alpha_predictor = nn.Sequential(
            nn.Conv2d(7, 32, 3, 1, 1), nn.LeakyReLU(), nn.Conv2d(32, 32, 3, 1, 1), nn.LeakyReLU(),
            nn.Conv2d(32, 1, 3, 1, 1), nn.Sigmoid())
        self.fuse_head_torso_convs = _seq_lrelu(nn.Conv2d(512, 256, 3, 1, 1), nn.Conv2d(256, 256, 3, 1, 1))
        self.head_torso_block = SynthesisBlock(256, 256, w_dim, resolution=256, up=1)
        self.fuse_fg_bg_convs = _seq_lrelu(nn.Conv2d(512, 64, 1, 1, 0), nn.Conv2d(64, 256, 3, 1, 1),
                                           nn.Conv2d(256, 256, 3, 1, 1))

    def _to256(self, t: torch.Tensor) -> torch.Tensor:
        return F.interpolate(t, size=(256, 256), mode="bilinear", align_corners=False, antialias=self.antialias)

    def forward(self, rgb, x, ws, ref_torso_rgb, ref_bg_rgb, weights_img, segmap, kp_s, kp_d,
                noise_mode: str = "none"):
        ws = ws[:, -1:, :].expand(rgb.shape[0], 3, -1)
        x, rgb = self.resize_input(x), self.resize_input(rgb)
        rgb_256, alpha = self._to256(rgb), self._to256(weights_img)
        torso_256, bg_256 = self._to256(ref_torso_rgb), self._to256(ref_bg_rgb)
        x, rgb = self.block0(x, rgb, ws, noise_mode)
        torso = self.torso_model(torso_256, segmap, kp_s, kp_d, rgb_256, alpha)
        x_torso = self.torso_encoder(torso["deformed_torso_hid"])
        x_bg = self.bg_encoder(bg_256)
        rgb = rgb * alpha + torso["rgb"] * (1 - alpha)
        x = self.fuse_head_torso_convs(torch.cat([x * alpha, x_torso * (1 - alpha)], dim=1))
        x, rgb = self.head_torso_block(x, rgb, ws, noise_mode)
        head_occ = torch.where(alpha > self.head_threshold, torch.ones_like(alpha), alpha)
        torso_occ = self._to256(torso["occlusion_2"])
        person = (torso_occ + head_occ).clamp(0, 1)
        rgb = rgb * person + bg_256 * (1 - person)
        x = self.fuse_fg_bg_convs(torch.cat([x * person, x_bg * (1 - person)], dim=1))
        x, rgb = self.block1(x, rgb, ws, noise_mode)
        return rgb, torso
