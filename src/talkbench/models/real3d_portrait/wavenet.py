"""Weight-normalised 1-D convolutions and the gated WaveNet stack used by the A2M VAE and its flow.

The released A2M checkpoint was written with the old `torch.nn.utils.weight_norm` hook, so every
normalised convolution stores `bias`, `weight_g` (out, 1, 1) and `weight_v` (out, in, k). We keep those
two tensors as explicit parameters (no hook, no `parametrizations.*.original0/1` keys) and rebuild
the weight in forward: w = g · v / ‖v‖, the norm taken per output channel over (in, k).
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class WeightNormConv1d(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 1, dilation: int = 1, padding: int = 0):
        super().__init__()
        self.dilation, self.padding = dilation, padding
        fan_in = in_channels * kernel_size
        bound = 1.0 / math.sqrt(fan_in)
        # same initial distribution as nn.Conv1d (kaiming_uniform with a=sqrt(5) gives this bound)
        self.bias = nn.Parameter(torch.empty(out_channels).uniform_(-bound, bound))
        v = torch.empty(out_channels, in_channels, kernel_size).uniform_(-bound, bound)
        self.weight_g = nn.Parameter(v.flatten(1).norm(dim=1).view(-1, 1, 1))  # the hook's initial g = ‖v‖
        self.weight_v = nn.Parameter(v)

    @property
    def weight(self) -> torch.Tensor:
        norm = self.weight_v.flatten(1).norm(dim=1).view(-1, 1, 1)
        return self.weight_v * (self.weight_g / norm)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv1d(x, self.weight, self.bias, dilation=self.dilation, padding=self.padding)


class WaveNet(nn.Module):
    """Non-causal gated WaveNet (tanh·sigmoid units, residual + skip sums), globally conditioned by g.

    Keys: in_layers.i, res_skip_layers.i (the last one has only skip channels), cond_layer.
    """

    def __init__(self, hidden: int, kernel_size: int, dilation_rate: int, n_layers: int, cond_channels: int = 0):
        super().__init__()
        self.hidden, self.n_layers = hidden, n_layers
        self.in_layers = nn.ModuleList()
        self.res_skip_layers = nn.ModuleList()
        for i in range(n_layers):
            d = dilation_rate ** i
            self.in_layers.append(WeightNormConv1d(hidden, 2 * hidden, kernel_size, d, (kernel_size * d - d) // 2))
            out = 2 * hidden if i < n_layers - 1 else hidden
            self.res_skip_layers.append(WeightNormConv1d(hidden, out, 1))
        self.cond_layer = WeightNormConv1d(cond_channels, 2 * hidden * n_layers, 1) if cond_channels else None

    def forward(self, x: torch.Tensor, mask, g: torch.Tensor | None = None) -> torch.Tensor:
        """x (B, hidden, T); mask (B, 1, T) or 1; g (B, cond, T) -> skip sum (B, hidden, T)."""
        h = self.hidden
        g_all = self.cond_layer(g) if (g is not None and self.cond_layer is not None) else None
        skip = torch.zeros_like(x)
        for i in range(self.n_layers):
            a = self.in_layers[i](x)
            if g_all is not None:
                a = a + g_all[:, 2 * h * i:2 * h * (i + 1)]
            acts = torch.tanh(a[:, :h]) * torch.sigmoid(a[:, h:])
            rs = self.res_skip_layers[i](acts)
            if i < self.n_layers - 1:
                x = (x + rs[:, :h]) * mask
                skip = skip + rs[:, h:]
            else:
                skip = skip + rs
        return skip * mask
