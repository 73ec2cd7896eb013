"""EAdaLN-ViT blocks (seed 004 Eq. 5, Fig. 3) and the cross-attention blocks of Table 4.

A block is a SegFormer (MiT) block: multi-head self-attention with optional key/value reduction,
then Mix-FFN (components/mit.py), each behind a normalisation. In the EAdaLN block both
normalisations are EAdaLN(x, β') = σ(β') · LN(x) + μ(β') (LN without its own affine), σ and μ
linear in β'. The cross-attention block keeps plain LayerNorms and adds, between the two, a
cross-attention from the visual tokens to the expression's tokens (the n scaled basis vectors
λ_i v_i of LeBS, or the single vector of Direct 3DMM).
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..components.mit import EfficientAttention, MixFFN


def eadaln(x: torch.Tensor, sigma: torch.Tensor, mu: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """Eq. 5 on tokens x (B, N, h) with per-sample σ, μ (B, h)."""
    return sigma[:, None] * F.layer_norm(x, x.shape[-1:], eps=eps) + mu[:, None]


class EAdaLN(nn.Module):
    """σ(β') and μ(β') are one linear map d -> 2h; initialised at σ = 1, μ = 0 plus a small slope."""

    def __init__(self, dim: int, cond_dim: int, eps: float = 1e-6, init_std: float = 0.02):
        super().__init__()
        self.eps = eps
        self.modulation = nn.Linear(cond_dim, 2 * dim)
        nn.init.normal_(self.modulation.weight, std=init_std)
        with torch.no_grad():
            self.modulation.bias.copy_(torch.cat([torch.ones(dim), torch.zeros(dim)]))

    def forward(self, x: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        sigma, mu = self.modulation(cond).chunk(2, dim=-1)
        return eadaln(x, sigma, mu, self.eps)


class EAdaLNBlock(nn.Module):
    def __init__(self, dim: int, cond_dim: int, num_heads: int, mlp_ratio: float = 4.0, sr_ratio: int = 1):
        super().__init__()
        self.norm1 = EAdaLN(dim, cond_dim)
        self.attn = EfficientAttention(dim, num_heads, True, sr_ratio)
        self.norm2 = EAdaLN(dim, cond_dim)
        self.mlp = MixFFN(dim, int(dim * mlp_ratio))

    def forward(self, x, h: int, w: int, cond: torch.Tensor, cond_tokens: torch.Tensor | None = None):
        x = x + self.attn(self.norm1(x, cond), h, w)
        return x + self.mlp(self.norm2(x, cond), h, w)


class CrossAttention(nn.Module):
    def __init__(self, dim: int, cond_dim: int, num_heads: int):
        super().__init__()
        self.attn = nn.MultiheadAttention(dim, num_heads, kdim=cond_dim, vdim=cond_dim, batch_first=True)

    def forward(self, x: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
        return self.attn(x, tokens, tokens, need_weights=False)[0]


class CrossAttentionBlock(nn.Module):
    def __init__(self, dim: int, cond_dim: int, num_heads: int, mlp_ratio: float = 4.0, sr_ratio: int = 1):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = EfficientAttention(dim, num_heads, True, sr_ratio)
        self.norm_cross = nn.LayerNorm(dim, eps=1e-6)
        self.cross = CrossAttention(dim, cond_dim, num_heads)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = MixFFN(dim, int(dim * mlp_ratio))

    def forward(self, x, h: int, w: int, cond: torch.Tensor, cond_tokens: torch.Tensor | None = None):
        x = x + self.attn(self.norm1(x), h, w)
        x = x + self.cross(self.norm_cross(x), cond[:, None] if cond_tokens is None else cond_tokens)
        return x + self.mlp(self.norm2(x), h, w)


BLOCKS = {"eadaln": EAdaLNBlock, "cross_attention": CrossAttentionBlock}
