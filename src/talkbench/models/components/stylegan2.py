"""StyleGAN2 synthesis layers (modulated convolutions) and EG3D's super-resolution module.

Layouts follow EG3D's `SynthesisLayer`/`ToRGBLayer`/`SynthesisBlock` (keys `weight`, `bias`,
`noise_strength`, `affine.*`, `resample_filter`, `noise_const`) so checkpoints load unchanged.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from .equalized import FullyConnectedLayer, LRELU_GAIN, bias_act, setup_filter, upfirdn2d, upsample2d

NOISE_MODES = ("none", "const", "random")


def modulated_conv2d(x: torch.Tensor, weight: torch.Tensor, styles: torch.Tensor, noise: torch.Tensor | None = None,
                     up: int = 1, padding: int = 0, resample_filter: torch.Tensor | None = None,
                     demodulate: bool = True) -> torch.Tensor:
    """Per-sample modulated (and optionally demodulated) conv, grouped-conv implementation."""
    b = x.shape[0]
    out_c, in_c, kh, kw = weight.shape
    w = weight.unsqueeze(0) * styles.reshape(b, 1, -1, 1, 1)  # (B, O, I, k, k)
    if demodulate:
        w = w * (w.square().sum(dim=[2, 3, 4]) + 1e-8).rsqrt().reshape(b, -1, 1, 1, 1)
    x = x.reshape(1, -1, *x.shape[2:])
    if up == 1:
        x = F.conv2d(x, w.reshape(-1, in_c, kh, kw), padding=padding, groups=b)
    else:
        # transposed conv (stride 2) followed by the FIR low-pass filter, as StyleGAN2's conv2d_resample
        fw = resample_filter.shape[-1]
        p0 = padding + (fw + up - 1) // 2 - (kw - 1)
        p1 = padding + (fw - up) // 2 - (kw - up)
        wt = w.transpose(1, 2).reshape(b * in_c, out_c, kh, kw)
        x = F.conv_transpose2d(x, wt, stride=up, groups=b)
        x = upfirdn2d(x, resample_filter, padding=(p0, p1, p0, p1), gain=up * up)
    x = x.reshape(b, out_c, *x.shape[2:])
    if noise is not None:
        x = x + noise
    return x


class SynthesisLayer(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, w_dim: int, resolution: int, kernel_size: int = 3,
                 up: int = 1, use_noise: bool = True, conv_clamp: float | None = None):
        super().__init__()
        self.resolution, self.up, self.use_noise, self.conv_clamp = resolution, up, use_noise, conv_clamp
        self.padding = kernel_size // 2
        self.affine = FullyConnectedLayer(w_dim, in_channels, bias_init=1)
        self.weight = nn.Parameter(torch.randn([out_channels, in_channels, kernel_size, kernel_size]))
        if use_noise:
            self.register_buffer("noise_const", torch.randn([resolution, resolution]))
            self.noise_strength = nn.Parameter(torch.zeros([]))
        self.bias = nn.Parameter(torch.zeros([out_channels]))
        self.register_buffer("resample_filter", setup_filter())

    def forward(self, x: torch.Tensor, w: torch.Tensor, noise_mode: str = "none",
                generator: torch.Generator | None = None) -> torch.Tensor:
        if noise_mode not in NOISE_MODES:
            raise ValueError(f"noise_mode must be one of {NOISE_MODES}")
        styles = self.affine(w)
        noise = None
        if self.use_noise and noise_mode == "random":
            shape = (x.shape[0], 1, self.resolution, self.resolution)
            noise = torch.randn(shape, generator=generator, device=x.device).to(x.dtype) * self.noise_strength
        elif self.use_noise and noise_mode == "const":
            noise = self.noise_const * self.noise_strength
        x = modulated_conv2d(x, self.weight, styles, noise=noise, up=self.up, padding=self.padding,
                             resample_filter=self.resample_filter)
        return bias_act(x, self.bias, act="lrelu", gain=LRELU_GAIN, clamp=self.conv_clamp)


class ToRGBLayer(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, w_dim: int, kernel_size: int = 1,
                 conv_clamp: float | None = None):
        super().__init__()
        self.conv_clamp = conv_clamp
        self.affine = FullyConnectedLayer(w_dim, in_channels, bias_init=1)
        self.weight = nn.Parameter(torch.randn([out_channels, in_channels, kernel_size, kernel_size]))
        self.bias = nn.Parameter(torch.zeros([out_channels]))
        self.weight_gain = 1 / np.sqrt(in_channels * kernel_size ** 2)

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        styles = self.affine(w) * self.weight_gain
        x = modulated_conv2d(x, self.weight, styles, demodulate=False)
        return bias_act(x, self.bias, clamp=self.conv_clamp)


class SynthesisBlock(nn.Module):
    """StyleGAN2 'skip' block: conv0 (2× up when up=2), conv1, toRGB; consumes 3 ws.

    `in_channels=0` is the first block of a synthesis network: a learned constant (`const`) replaces
    the input and conv0, so it consumes 2 ws (conv1, toRGB)."""

    def __init__(self, in_channels: int, out_channels: int, w_dim: int, resolution: int, img_channels: int = 3,
                 up: int = 2, conv_clamp: float | None = None):
        super().__init__()
        self.in_channels, self.up = in_channels, up
        if in_channels == 0:
            self.const = nn.Parameter(torch.randn([out_channels, resolution, resolution]))
        self.register_buffer("resample_filter", setup_filter())
        if in_channels != 0:
            self.conv0 = SynthesisLayer(in_channels, out_channels, w_dim, resolution, up=up, conv_clamp=conv_clamp)
        self.conv1 = SynthesisLayer(out_channels, out_channels, w_dim, resolution, conv_clamp=conv_clamp)
        self.torgb = ToRGBLayer(out_channels, img_channels, w_dim, conv_clamp=conv_clamp)

    @property
    def num_conv(self) -> int:
        return 1 if self.in_channels == 0 else 2

    @property
    def num_ws(self) -> int:
        return self.num_conv + 1

    def forward(self, x: torch.Tensor | None, img: torch.Tensor | None, ws: torch.Tensor, noise_mode: str = "none",
                generator: torch.Generator | None = None):
        w_iter = iter(ws.unbind(dim=1))
        if self.in_channels == 0:
            x = self.const.to(ws.dtype).unsqueeze(0).expand(ws.shape[0], -1, -1, -1)
        else:
            x = self.conv0(x, next(w_iter), noise_mode, generator)
        x = self.conv1(x, next(w_iter), noise_mode, generator)
        if img is not None and self.up > 1:
            img = upsample2d(img, self.resample_filter)
        y = self.torgb(x, next(w_iter)).to(torch.float32)
        img = y if img is None else img + y
        return x, img


@dataclass(frozen=True)
class SuperresolutionSpec:
    """One of EG3D's `SuperresolutionHybrid*` modules: block0 (channels -> c0 at r0, up `up0`) and block1
    (c0 -> c1 at the output resolution, 2× up); the input is resized to `input_resolution` first."""

    input_resolution: int
    output_resolution: int
    block0_channels: int
    block1_channels: int
    block0_up: int


#: EG3D training/superresolution.py, by name
SUPERRESOLUTION_SPECS: dict[str, SuperresolutionSpec] = {
    "hybrid2x": SuperresolutionSpec(64, 128, 128, 64, 1),
    "hybrid4x": SuperresolutionSpec(128, 256, 128, 64, 1),
    "hybrid8x": SuperresolutionSpec(128, 512, 128, 64, 2),
    "hybrid8xdc": SuperresolutionSpec(128, 512, 256, 128, 2),
}


class SuperresolutionHybrid(nn.Module):
    """EG3D's hybrid super-resolution: the rendered feature image (32 ch) and raw RGB -> RGB at the output
    resolution, styled by the last w only. `conv_clamp` is 256 where EG3D runs the SR in fp16
    (`sr_num_fp16_res > 0`, the FFHQ checkpoints) and None otherwise; we compute in fp32 either way."""

    def __init__(self, kind: str = "hybrid8xdc", channels: int = 32, w_dim: int = 512, antialias: bool = True,
                 conv_clamp: float | None = None, input_resolution: int | None = None):
        super().__init__()
        try:
            spec = SUPERRESOLUTION_SPECS[kind]
        except KeyError:
            raise ValueError(f"unknown super-resolution {kind!r}; use one of {sorted(SUPERRESOLUTION_SPECS)}") from None
        self.kind, self.spec, self.antialias = kind, spec, antialias
        self.input_resolution = input_resolution or spec.input_resolution
        r1 = spec.output_resolution
        r0 = r1 // 2 if spec.block0_up == 2 else spec.input_resolution
        self.block0 = SynthesisBlock(channels, spec.block0_channels, w_dim, resolution=r0, up=spec.block0_up,
                                     conv_clamp=conv_clamp)
        self.block1 = SynthesisBlock(spec.block0_channels, spec.block1_channels, w_dim, resolution=r1,
                                     conv_clamp=conv_clamp)

    def resize_input(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-1] != self.input_resolution:
            x = F.interpolate(x, size=(self.input_resolution,) * 2, mode="bilinear", align_corners=False,
                              antialias=self.antialias)
        return x

    def forward(self, rgb: torch.Tensor, x: torch.Tensor, ws: torch.Tensor, noise_mode: str = "none"):
        ws = ws[:, -1:, :].repeat(1, 3, 1)
        x, rgb = self.resize_input(x), self.resize_input(rgb)
        x, rgb = self.block0(x, rgb, ws, noise_mode)
        x, rgb = self.block1(x, rgb, ws, noise_mode)
        return rgb


class SuperresolutionHybrid8XDC(SuperresolutionHybrid):
    """EG3D 128 -> 512 super-resolution (block0 32->256 ch @256, block1 256->128 ch @512)."""

    def __init__(self, channels: int = 32, w_dim: int = 512, input_resolution: int = 128, antialias: bool = True,
                 conv_clamp: float | None = None):
        super().__init__("hybrid8xdc", channels, w_dim, antialias, conv_clamp, input_resolution)
