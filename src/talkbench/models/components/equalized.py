"""StyleGAN2 layers with equalised learning rate: stored tensors are scaled at run time.

A `FullyConnectedLayer` stores `weight` of shape (out, in) drawn from N(0, 1/lr_mul²) and multiplies
it by lr_mul/sqrt(in) in forward; the bias is multiplied by lr_mul. A plain nn.Linear with the same
stored tensors gives a different output, so checkpoints only reproduce through these classes.
"""
from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

LRELU_SLOPE = 0.2
LRELU_GAIN = math.sqrt(2.0)


def bias_act(x: torch.Tensor, b: torch.Tensor | None, act: str = "linear", gain: float | None = None,
             clamp: float | None = None, dim: int = 1) -> torch.Tensor:
    """StyleGAN's fused bias + activation + gain + clamp (reference implementation)."""
    if b is not None:
        shape = [1] * x.ndim
        shape[dim] = -1
        x = x + b.reshape(shape)
    if act == "linear":
        default_gain = 1.0
    elif act == "lrelu":
        x = F.leaky_relu(x, LRELU_SLOPE)
        default_gain = LRELU_GAIN
    elif act == "relu":
        x = F.relu(x)
        default_gain = LRELU_GAIN
    else:
        raise ValueError(f"unsupported activation {act!r}")
    g = default_gain if gain is None else gain
    if g != 1:
        x = x * g
    if clamp is not None and clamp >= 0:
        x = x.clamp(-clamp, clamp)
    return x


class FullyConnectedLayer(nn.Module):
    def __init__(self, in_features: int, out_features: int, bias: bool = True, activation: str = "linear",
                 lr_multiplier: float = 1.0, bias_init: float = 0.0):
        super().__init__()
        self.in_features, self.out_features, self.activation = in_features, out_features, activation
        self.weight = nn.Parameter(torch.randn([out_features, in_features]) / lr_multiplier)
        self.bias = nn.Parameter(torch.full([out_features], float(bias_init))) if bias else None
        self.weight_gain = lr_multiplier / np.sqrt(in_features)
        self.bias_gain = lr_multiplier

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w = self.weight.to(x.dtype) * self.weight_gain
        b = self.bias
        if b is not None:
            b = b.to(x.dtype)
            if self.bias_gain != 1:
                b = b * self.bias_gain
        if self.activation == "linear" and b is not None:
            return torch.addmm(b.unsqueeze(0), x, w.t())
        return bias_act(x.matmul(w.t()), b, act=self.activation)


def setup_filter(taps=(1, 3, 3, 1)) -> torch.Tensor:
    f = torch.as_tensor(taps, dtype=torch.float32)
    f = torch.outer(f, f)
    return f / f.sum()


def upfirdn2d(x: torch.Tensor, f: torch.Tensor, up: int = 1, down: int = 1, padding=(0, 0, 0, 0),
              gain: float = 1.0) -> torch.Tensor:
    """Upsample (zero insertion), pad, FIR-filter with the 2-D filter f, downsample (reference path)."""
    b, c, h, w = x.shape
    px0, px1, py0, py1 = padding
    if up > 1:
        x = x.reshape(b, c, h, 1, w, 1)
        x = F.pad(x, [0, up - 1, 0, 0, 0, up - 1])
        x = x.reshape(b, c, h * up, w * up)
    x = F.pad(x, [max(px0, 0), max(px1, 0), max(py0, 0), max(py1, 0)])
    x = x[:, :, max(-py0, 0): x.shape[2] - max(-py1, 0), max(-px0, 0): x.shape[3] - max(-px1, 0)]
    f = (f * (gain ** (f.ndim / 2))).to(x.dtype).flip([0, 1])
    x = F.conv2d(x, f[None, None].repeat(c, 1, 1, 1), groups=c)
    return x[:, :, ::down, ::down]


def upsample2d(x: torch.Tensor, f: torch.Tensor, up: int = 2) -> torch.Tensor:
    fw = f.shape[-1]
    p0, p1 = (fw + up - 1) // 2, (fw - up) // 2
    return upfirdn2d(x, f, up=up, padding=(p0, p1, p0, p1), gain=up * up)


def downsample2d(x: torch.Tensor, f: torch.Tensor, down: int = 2) -> torch.Tensor:
    """StyleGAN2's `upfirdn2d.downsample2d`: FIR low-pass with f, then keep every `down`-th pixel."""
    fw = f.shape[-1]
    p0, p1 = (fw - down + 1) // 2, (fw - down) // 2
    return upfirdn2d(x, f, down=down, padding=(p0, p1, p0, p1))


class Conv2dLayer(nn.Module):
    """Equalised-lr conv (no up/down sampling needed by the models here)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, bias: bool = True,
                 activation: str = "linear", conv_clamp: float | None = None):
        super().__init__()
        self.activation, self.conv_clamp, self.padding = activation, conv_clamp, kernel_size // 2
        self.register_buffer("resample_filter", setup_filter())
        self.weight_gain = 1 / np.sqrt(in_channels * kernel_size ** 2)
        self.weight = nn.Parameter(torch.randn([out_channels, in_channels, kernel_size, kernel_size]))
        self.bias = nn.Parameter(torch.zeros([out_channels])) if bias else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.conv2d(x, self.weight * self.weight_gain, padding=self.padding)
        return bias_act(x, self.bias, act=self.activation, clamp=self.conv_clamp)
