"""The A2M prior: a Glow-style stack of mean-only affine coupling layers alternating with channel flips.

State-dict layout `flows.{0,2,4,6}` (couplings; the flips at odd indices hold no parameters).
forward maps a posterior sample z_q to the prior space z_p; reverse=True maps N(0,1) noise back.
"""
from __future__ import annotations

import torch
import torch.nn as nn

from .wavenet import WaveNet


class MeanOnlyCoupling(nn.Module):
    """x = [x0, x1] -> [x0, x1 + m(x0, g)] (volume preserving); `post` starts at zero, so the initial flow is the identity."""

    def __init__(self, channels: int, hidden: int, kernel_size: int, dilation_rate: int, n_layers: int, cond_channels: int):
        super().__init__()
        self.half = channels // 2
        self.pre = nn.Conv1d(self.half, hidden, 1)
        self.enc = WaveNet(hidden, kernel_size, dilation_rate, n_layers, cond_channels)
        self.post = nn.Conv1d(hidden, self.half, 1)
        nn.init.zeros_(self.post.weight)
        nn.init.zeros_(self.post.bias)

    def forward(self, x: torch.Tensor, mask, g: torch.Tensor | None, reverse: bool = False) -> torch.Tensor:
        x0, x1 = x[:, :self.half], x[:, self.half:]
        m = self.post(self.enc(self.pre(x0) * mask, mask, g)) * mask
        x1 = (x1 - m) * mask if reverse else m + x1 * mask
        return torch.cat([x0, x1], 1)


class ChannelFlip(nn.Module):
    def forward(self, x: torch.Tensor, mask=None, g=None, reverse: bool = False) -> torch.Tensor:
        return torch.flip(x, [1])


class CouplingFlow(nn.Module):
    def __init__(self, channels: int, hidden: int, kernel_size: int, dilation_rate: int, n_layers: int,
                 n_flows: int, cond_channels: int):
        super().__init__()
        self.flows = nn.ModuleList()
        for _ in range(n_flows):
            self.flows.append(MeanOnlyCoupling(channels, hidden, kernel_size, dilation_rate, n_layers, cond_channels))
            self.flows.append(ChannelFlip())

    def forward(self, x: torch.Tensor, mask, g: torch.Tensor | None = None, reverse: bool = False) -> torch.Tensor:
        for flow in (reversed(self.flows) if reverse else self.flows):
            x = flow(x, mask, g, reverse=reverse)
        return x
