"""Mix Transformer (MiT / SegFormer) blocks and the SegFormer all-MLP head.

Parameter names follow the SegFormer reference layout (`patch_embedN.proj/norm`, `blockN.i.attn.q/kv/
proj/sr/norm`, `mlp.fc1/dwconv.dwconv/fc2`, `normN`), which is what Real3D-Portrait's checkpoints use.
Drop-path is an identity at inference and has no parameters.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


class OverlapPatchEmbed(nn.Module):
    def __init__(self, patch_size: int = 7, stride: int = 4, in_chans: int = 3, embed_dim: int = 768):
        super().__init__()
        self.proj = nn.Conv2d(in_chans, embed_dim, kernel_size=patch_size, stride=stride, padding=patch_size // 2)
        self.norm = nn.LayerNorm(embed_dim)

    def forward(self, x: torch.Tensor):
        x = self.proj(x)
        _, _, h, w = x.shape
        return self.norm(x.flatten(2).transpose(1, 2)), h, w


class EfficientAttention(nn.Module):
    """Multi-head self-attention whose keys/values come from a sr_ratio× strided-conv reduced map."""

    def __init__(self, dim: int, num_heads: int = 8, qkv_bias: bool = True, sr_ratio: int = 1):
        super().__init__()
        self.num_heads = num_heads
        self.scale = (dim // num_heads) ** -0.5
        self.q = nn.Linear(dim, dim, bias=qkv_bias)
        self.kv = nn.Linear(dim, dim * 2, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim)
        self.sr_ratio = sr_ratio
        if sr_ratio > 1:
            self.sr = nn.Conv2d(dim, dim, kernel_size=sr_ratio, stride=sr_ratio)
            self.norm = nn.LayerNorm(dim)  # default eps here, unlike the block norms

    def forward(self, x: torch.Tensor, h: int, w: int) -> torch.Tensor:
        b, n, c = x.shape
        heads = self.num_heads
        q = self.q(x).reshape(b, n, heads, c // heads).permute(0, 2, 1, 3)
        if self.sr_ratio > 1:
            x_ = self.sr(x.permute(0, 2, 1).reshape(b, c, h, w)).reshape(b, c, -1).permute(0, 2, 1)
            x_ = self.norm(x_)
        else:
            x_ = x
        kv = self.kv(x_).reshape(b, -1, 2, heads, c // heads).permute(2, 0, 3, 1, 4)
        k, v = kv[0], kv[1]
        attn = ((q @ k.transpose(-2, -1)) * self.scale).softmax(dim=-1)
        out = (attn @ v).transpose(1, 2).reshape(b, n, c)
        return self.proj(out)


class DWConv(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.dwconv = nn.Conv2d(dim, dim, 3, 1, 1, bias=True, groups=dim)

    def forward(self, x: torch.Tensor, h: int, w: int) -> torch.Tensor:
        b, n, c = x.shape
        return self.dwconv(x.transpose(1, 2).reshape(b, c, h, w)).flatten(2).transpose(1, 2)


class MixFFN(nn.Module):
    def __init__(self, dim: int, hidden: int):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.dwconv = DWConv(hidden)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x: torch.Tensor, h: int, w: int) -> torch.Tensor:
        return self.fc2(F.gelu(self.dwconv(self.fc1(x), h, w)))


class MiTBlock(nn.Module):
    def __init__(self, dim: int, num_heads: int, mlp_ratio: float = 4.0, qkv_bias: bool = True, sr_ratio: int = 1,
                 ln_eps: float = 1e-5):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=ln_eps)
        self.attn = EfficientAttention(dim, num_heads, qkv_bias, sr_ratio)
        self.norm2 = nn.LayerNorm(dim, eps=ln_eps)
        self.mlp = MixFFN(dim, int(dim * mlp_ratio))

    def forward(self, x: torch.Tensor, h: int, w: int) -> torch.Tensor:
        x = x + self.attn(self.norm1(x), h, w)
        return x + self.mlp(self.norm2(x), h, w)


@dataclass(frozen=True)
class MiTConfig:
    embed_dims: tuple[int, ...]
    num_heads: tuple[int, ...]
    depths: tuple[int, ...]
    sr_ratios: tuple[int, ...] = (8, 4, 2, 1)
    mlp_ratio: float = 4.0
    ln_eps: float = 1e-6


MIT_CONFIGS = {
    "b0": MiTConfig((32, 64, 160, 256), (1, 2, 5, 8), (2, 2, 2, 2)),
    "b1": MiTConfig((64, 128, 320, 512), (1, 2, 5, 8), (2, 2, 2, 2)),
}


class MixVisionTransformer(nn.Module):
    """4-stage hierarchical encoder; returns features at strides 4, 8, 16, 32."""

    def __init__(self, cfg: MiTConfig, in_chans: int = 3):
        super().__init__()
        dims = cfg.embed_dims
        for i in range(4):
            patch, stride = (7, 4) if i == 0 else (3, 2)
            setattr(self, f"patch_embed{i + 1}",
                    OverlapPatchEmbed(patch, stride, in_chans if i == 0 else dims[i - 1], dims[i]))
            # patch-embed LayerNorm keeps the default eps (it is built without the norm_layer argument)
            setattr(self, f"block{i + 1}", nn.ModuleList(
                MiTBlock(dims[i], cfg.num_heads[i], cfg.mlp_ratio, True, cfg.sr_ratios[i], cfg.ln_eps)
                for _ in range(cfg.depths[i])))
            setattr(self, f"norm{i + 1}", nn.LayerNorm(dims[i], eps=cfg.ln_eps))

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        outs = []
        b = x.shape[0]
        for i in range(1, 5):
            x, h, w = getattr(self, f"patch_embed{i}")(x)
            for blk in getattr(self, f"block{i}"):
                x = blk(x, h, w)
            x = getattr(self, f"norm{i}")(x)
            x = x.reshape(b, h, w, -1).permute(0, 3, 1, 2).contiguous()
            outs.append(x)
        return outs


class HeadMLP(nn.Module):
    def __init__(self, input_dim: int, embed_dim: int):
        super().__init__()
        self.proj = nn.Linear(input_dim, embed_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(x.flatten(2).transpose(1, 2))


class ConvBNReLU(nn.Module):
    """mmcv ConvModule(norm=BN) layout: `conv` (no bias) -> `bn` -> ReLU."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 1):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, padding=kernel_size // 2, bias=False)
        self.bn = nn.BatchNorm2d(out_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.bn(self.conv(x)))


class SegFormerHead(nn.Module):
    """Per-stage linear projections to `embed_dim`, resized to stride 4, concatenated (c4, c3, c2, c1), fused."""

    def __init__(self, in_channels=(32, 64, 160, 256), embed_dim: int = 256):
        super().__init__()
        for i, c in enumerate(in_channels):
            setattr(self, f"linear_c{i + 1}", HeadMLP(c, embed_dim))
        self.linear_fuse = ConvBNReLU(embed_dim * 4, embed_dim, 1)
        self.dropout = nn.Dropout2d(0.1)

    def forward(self, feats: list[torch.Tensor]) -> torch.Tensor:
        size = feats[0].shape[-2:]
        b = feats[0].shape[0]
        outs = []
        for i in (3, 2, 1, 0):
            f = feats[i]
            y = getattr(self, f"linear_c{i + 1}")(f).permute(0, 2, 1).reshape(b, -1, *f.shape[-2:])
            if i != 0:
                y = F.interpolate(y, size=size, mode="bilinear", align_corners=False)
            outs.append(y)
        return self.dropout(self.linear_fuse(torch.cat(outs, dim=1)))
