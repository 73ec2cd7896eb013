"""Image-to-plane (I2P) backbone: LP3D-style composite encoder (≈87.3M parameters).

source (B, 3, H, W) in [-1, 1], head-segmented -> + 2 pixel-coordinate channels (row/H, col/H) ->
DeepLabV3-ResNet34 (stride 8) -> LowResolutionViT (5 MiT blocks @ 1024) ; HighResoEncoder (plain CNN)
-> TriplanePredictorViT -> (B, 3, 32, H/2, W/2) with Real3D's per-plane flips.

This is also LP3D's lifting network (models/lp3d uses it, never a copy): `I2PWidths` holds the widths
(released values by default; LP3D's encoder without batch norm and reduced CPU configurations differ only there).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..components.mit import MiTBlock, OverlapPatchEmbed
from .resnet import DeepLabV3

_LRELU = 0.01


def _up2(x: torch.Tensor) -> torch.Tensor:
    # nn.UpsamplingBilinear2d semantics (align_corners=True), as in the official modules
    return F.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=True)


def flip_planes(planes: torch.Tensor) -> torch.Tensor:
    """(B, 96, H, W) -> (B, 3, 32, H, W): plane 0 and 1 flipped along H, plane 2 along H and W."""
    p = planes.view(planes.shape[0], 3, -1, *planes.shape[-2:])
    return torch.stack([p[:, 0].flip(2), p[:, 1].flip(2), p[:, 2].flip(2, 3)], dim=1)


@dataclass(frozen=True)
class I2PWidths:
    """Widths of the image-to-plane network; the defaults are the released Real3D-Portrait / LP3D ones."""

    vit_dim: int = 1024          # token width of both ViTs (PixelShuffle(2) -> vit_dim / 4 channels)
    vit_heads: int = 4           # LowResolutionViT heads
    predictor_heads: int = 4     # TriplanePredictorViT heads (Live3DPortrait: 2)
    branch_channels: int = 96    # low- and high-resolution branch outputs
    predictor_width: int = 256   # TriplanePredictorViT convolutions (256, then 128 = width / 2)
    resnet_width: int = 64       # DeepLabV3 ResNet-34 base width (its output is 4× this)
    batch_norm: bool = True      # False: LP3D's encoder (BatchNorm -> Identity, convs with bias)

    def to_dict(self) -> dict:
        return asdict(self)


def _vit_blocks(module: nn.Module, n: int, sr_ratio: int, dim: int, heads: int) -> None:
    for i in range(1, n + 1):
        setattr(module, f"block{i}", MiTBlock(dim, num_heads=heads, mlp_ratio=2, sr_ratio=sr_ratio, ln_eps=1e-5))


def _run_blocks(module: nn.Module, n: int, h: torch.Tensor, hh: int, ww: int) -> torch.Tensor:
    for i in range(1, n + 1):
        h = getattr(module, f"block{i}")(h, hh, ww)
    return h.permute(0, 2, 1).reshape(h.shape[0], -1, hh, ww)


class LowResolutionViT(nn.Module):
    def __init__(self, in_chans: int = 256, num_blocks: int = 5, widths: I2PWidths = I2PWidths()):
        super().__init__()
        self.num_blocks = num_blocks
        d = widths.vit_dim
        self.patch_embed = OverlapPatchEmbed(3, 2, in_chans, d)
        _vit_blocks(self, num_blocks, 1, d, widths.vit_heads)
        self.conv_after_upsample1 = nn.Conv2d(d // 4, d // 8, 3, 1, 1)
        self.conv_after_upsample2 = nn.Conv2d(d // 8, d // 8, 3, 1, 1)
        self.final_conv = nn.Conv2d(d // 8, widths.branch_channels, 3, 1, 1)

    def forward(self, x):
        h, hh, ww = self.patch_embed(x)
        h = F.pixel_shuffle(_run_blocks(self, self.num_blocks, h, hh, ww), 2)
        h = F.relu(self.conv_after_upsample1(_up2(h)))
        h = F.relu(self.conv_after_upsample2(_up2(h)))
        return self.final_conv(h)


class HighResoEncoder(nn.Module):
    def __init__(self, in_dim: int = 5, out_dim: int = 96):
        super().__init__()
        self.first = nn.Conv2d(in_dim, 64, 7, 2, 3)
        layers = []
        for c_in in (64, 96, 96, 96):
            layers += [nn.Conv2d(c_in, 96, 3, 1, 1), nn.LeakyReLU(_LRELU)]
        self.conv_layers = nn.Sequential(*layers)
        self.final = nn.Conv2d(96, out_dim, 3, 1, 1)

    def forward(self, x):
        return self.final(self.conv_layers(self.first(x)))


class TriplanePredictorViT(nn.Module):
    def __init__(self, out_channels: int = 96, num_blocks: int = 1, widths: I2PWidths = I2PWidths()):
        super().__init__()
        self.num_blocks = num_blocks
        b, w, d = widths.branch_channels, widths.predictor_width, widths.vit_dim
        self.first_conv = nn.Conv2d(2 * b, w, 3, 1, 1)
        self.second_conv = nn.Conv2d(w, w // 2, 3, 1, 1)
        self.patch_embed = OverlapPatchEmbed(3, 2, w // 2, d)
        _vit_blocks(self, num_blocks, 2, d, widths.predictor_heads)
        self.first_conv_after_cat = nn.Conv2d(d // 4 + b, w, 3, 1, 1)
        self.second_conv_after_cat = nn.Conv2d(w, w // 2, 3, 1, 1)
        self.third_conv_after_cat = nn.Conv2d(w // 2, w // 2, 3, 1, 1)
        self.final_conv = nn.Conv2d(w // 2, out_channels, 3, 1, 1)

    def forward(self, low, high):
        act = lambda t: F.leaky_relu(t, _LRELU)  # noqa: E731
        h = act(self.second_conv(act(self.first_conv(torch.cat([low, high], dim=1)))))
        h, hh, ww = self.patch_embed(h)
        h = F.pixel_shuffle(_run_blocks(self, self.num_blocks, h, hh, ww), 2)
        h = torch.cat([h, low], dim=1)
        h = act(self.first_conv_after_cat(h))
        h = act(self.second_conv_after_cat(h))
        h = act(self.third_conv_after_cat(h))
        return self.final_conv(h)


def pixel_coordinates(batch: int, height: int, width: int, device=None) -> torch.Tensor:
    """(B, 2, H, W): row index / H and column index / H (both divided by H, as the official code does)."""
    rows, cols = torch.meshgrid(torch.arange(height, device=device), torch.arange(width, device=device), indexing="ij")
    grid = torch.stack([rows / height, cols / height]).float()
    return grid.unsqueeze(0).expand(batch, -1, -1, -1)


class Img2PlaneModel(nn.Module):
    def __init__(self, in_channels: int = 5, out_channels: int = 96, vit_blocks: int = 5, predictor_blocks: int = 1,
                 widths: I2PWidths = I2PWidths()):
        super().__init__()
        self.low_reso_encoder = DeepLabV3(in_channels, widths.resnet_width, widths.batch_norm)
        self.low_reso_vit = LowResolutionViT(self.low_reso_encoder.out_channels, vit_blocks, widths)
        self.high_reso_encoder = HighResoEncoder(in_channels, widths.branch_channels)
        self.triplane_predictor_vit = TriplanePredictorViT(out_channels, predictor_blocks, widths)

    def forward(self, img: torch.Tensor) -> torch.Tensor:
        b, _, h, w = img.shape
        x = torch.cat([img, pixel_coordinates(b, h, w, img.device).to(img.dtype)], dim=1)
        low = self.low_reso_vit(self.low_reso_encoder(x))
        high = self.high_reso_encoder(x)
        return flip_planes(self.triplane_predictor_vit(low, high))
