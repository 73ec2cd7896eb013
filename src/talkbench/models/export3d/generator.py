"""Hybrid tri-plane generator G(S, β') (seed 004 §3.2, Fig. 3).

S (B, 3, H, W) -> conv stem to h/4 channels at H/8 -> overlap patch merge (MiT, 3×3 stride 2) to
h-dim tokens at H/16 (H·W/2⁸ tokens) -> EAdaLN-ViT blocks -> pixel shuffle ×2 + Gaussian low-pass
-> (concatenated with the stem feature, 1×1 conv) EAdaLN-ViT blocks at H/8 with h/4 dims -> conv head
with two more low-passed pixel shuffles to H/2 -> 3 × C planes. The online EMA tri-plane is added to
the output; during training it follows the batch mean of the output (detached).
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..components.mit import OverlapPatchEmbed
from .config import Export3DConfig
from .layers import DownBlock, ShuffleUp, map_to_tokens, tokens_to_map
from .vit import BLOCKS


class ConvStem(nn.Module):
    """(B, 3, H, W) -> (B, h/4, H/8, W/8)."""

    def __init__(self, hidden_dim: int):
        super().__init__()
        c = (hidden_dim // 16, hidden_dim // 16, hidden_dim // 8, hidden_dim // 4)
        self.conv_in = nn.Conv2d(3, c[0], 3, 1, 1)
        self.down = nn.Sequential(*(DownBlock(a, b) for a, b in zip(c[:-1], c[1:])))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.leaky_relu(self.down(self.conv_in(x)), 0.2)


class TriplaneGenerator(nn.Module):
    def __init__(self, cfg: Export3DConfig):
        super().__init__()
        self.cfg = cfg
        h, d = cfg.hidden_dim, cfg.basis_dim
        block = BLOCKS[cfg.conditioning]
        self.stem = ConvStem(h)
        self.patch_merge = OverlapPatchEmbed(patch_size=3, stride=2, in_chans=h // 4, embed_dim=h)
        self.low_res_blocks = nn.ModuleList(block(h, d, cfg.num_heads, cfg.mlp_ratio, 1) for _ in range(cfg.low_res_depth))
        self.low_res_norm = nn.LayerNorm(h, eps=1e-6)
        self.upsample = ShuffleUp(h, h // 4, cfg.lowpass_size, cfg.lowpass_sigma)
        self.fuse = nn.Conv2d(h // 2, h // 4, 1)
        heads = max(1, cfg.num_heads // 4)
        self.high_res_blocks = nn.ModuleList(block(h // 4, d, heads, cfg.mlp_ratio, cfg.high_res_sr_ratio)
                                             for _ in range(cfg.high_res_depth))
        self.high_res_norm = nn.LayerNorm(h // 4, eps=1e-6)
        c = cfg.head_channels
        self.head = nn.ModuleDict({
            "up1": ShuffleUp(h // 4, c, cfg.lowpass_size, cfg.lowpass_sigma),
            "conv1": nn.Conv2d(c, c, 3, 1, 1),
            "up2": ShuffleUp(c, c, cfg.lowpass_size, cfg.lowpass_sigma),
            "conv2": nn.Conv2d(c, c, 3, 1, 1),
            "out": nn.Conv2d(c, 3 * cfg.triplane_channels, 1),
        })
        r = cfg.triplane_resolution
        self.register_buffer("triplane_ema", torch.zeros(1, 3, cfg.triplane_channels, r, r))

    def forward(self, source: torch.Tensor, cond: torch.Tensor, cond_tokens: torch.Tensor | None = None,
                update_ema: bool = False) -> torch.Tensor:
        """source (B, 3, H, W) in [-1, 1], cond β' (B, d) -> tri-plane (B, 3, C, H/2, W/2)."""
        stem = self.stem(source)
        x, h, w = self.patch_merge(stem)
        for blk in self.low_res_blocks:
            x = blk(x, h, w, cond, cond_tokens)
        x = self.upsample(tokens_to_map(self.low_res_norm(x), h, w))
        x = self.fuse(torch.cat([x, stem], dim=1))
        h, w = x.shape[-2:]
        x = map_to_tokens(x)
        for blk in self.high_res_blocks:
            x = blk(x, h, w, cond, cond_tokens)
        x = tokens_to_map(self.high_res_norm(x), h, w)
        hd = self.head
        x = F.leaky_relu(hd["conv1"](hd["up1"](x)), 0.2)
        x = F.leaky_relu(hd["conv2"](hd["up2"](x)), 0.2)
        planes = hd["out"](x)
        b, _, r, _ = planes.shape
        planes = planes.reshape(b, 3, self.cfg.triplane_channels, r, r) + self.triplane_ema
        if update_ema:
            with torch.no_grad():
                m = self.cfg.triplane_ema_momentum
                self.triplane_ema.mul_(m).add_((1 - m) * planes.detach().mean(dim=0, keepdim=True))
        return planes
