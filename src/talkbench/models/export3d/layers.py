"""Convolutional pieces of Export3D: residual down blocks, the Gaussian low-pass filter and the
low-pass-filtered pixel-shuffle upsampler (seed 004 §3.2)."""
from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class DownBlock(nn.Module):
    """Residual stride-2 block: lrelu -> conv3×3/2 -> lrelu -> conv3×3, plus a 1×1/2 skip."""

    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, 2, 1)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1)
        self.skip = nn.Conv2d(cin, cout, 1, 2, 0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.skip(x) + self.conv2(F.leaky_relu(self.conv1(F.leaky_relu(x, 0.2)), 0.2))


def gaussian_kernel(size: int, sigma: float) -> torch.Tensor:
    """(size, size) normalised 2-D Gaussian sampled at integer offsets from the centre."""
    r = torch.arange(size, dtype=torch.float64) - (size - 1) / 2
    g = torch.exp(-r ** 2 / (2 * sigma ** 2))
    k = torch.outer(g, g)
    return (k / k.sum()).float()


class GaussianLowPass(nn.Module):
    """Depthwise Gaussian blur with reflect padding (a fixed buffer, no parameters); size 1 = identity."""

    def __init__(self, size: int = 5, sigma: float = 1.0):
        super().__init__()
        self.size = size
        self.register_buffer("kernel", gaussian_kernel(size, sigma), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.size <= 1:
            return x
        c = x.shape[1]
        p = self.size // 2
        x = F.pad(x, (p, p, p, p), mode="reflect")
        return F.conv2d(x, self.kernel.to(x.dtype)[None, None].expand(c, 1, -1, -1), groups=c)


class ShuffleUp(nn.Module):
    """conv 3×3 (cin -> 4·cout) -> pixel shuffle ×2 -> Gaussian low-pass -> lrelu."""

    def __init__(self, cin: int, cout: int, lowpass_size: int = 5, lowpass_sigma: float = 1.0):
        super().__init__()
        self.conv = nn.Conv2d(cin, 4 * cout, 3, 1, 1)
        self.shuffle = nn.PixelShuffle(2)
        self.lowpass = GaussianLowPass(lowpass_size, lowpass_sigma)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.leaky_relu(self.lowpass(self.shuffle(self.conv(x))), 0.2)


def tokens_to_map(x: torch.Tensor, h: int, w: int) -> torch.Tensor:
    return x.transpose(1, 2).reshape(x.shape[0], x.shape[2], h, w)


def map_to_tokens(x: torch.Tensor) -> torch.Tensor:
    return x.flatten(2).transpose(1, 2)


def log2_int(n: int) -> int:
    k = int(round(math.log2(n)))
    if 2 ** k != n:
        raise ValueError(f"{n} is not a power of two")
    return k
