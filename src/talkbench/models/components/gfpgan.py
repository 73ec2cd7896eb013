"""GFPGANv1Clean (TencentARC GFPGAN v1.3 'clean' arch): U-Net encoder + SFT-conditioned StyleGAN2 decoder.

Used as the super-resolution module by GOHA (`neural_layers.gfpgan`) and Talk3D (`superresolution`).
State-dict keys equal the released `GFPGANv1.3.pth` `params_ema` (285 keys, 86,444,252 parameters),
including the 15 persistent `stylegan_decoder.noises.noiseN` buffers.

Structure (out_size 512, channel_multiplier 2, narrow 1, sft_half, different_w, input_is_latent):
* encoder: 1×1 conv 3→32 at 512², 7 residual blocks halving the size (bilinear, align_corners=False)
  down to 4², a 3×3 conv; `final_linear` maps the 4²×256 feature to 16 style vectors of 512.
* decoder of the U-Net: 7 residual blocks doubling the size, each adding the mirrored encoder skip;
  per level an SFT (scale, shift) pair of 2-conv heads and an intermediate 1×1 toRGB.
* StyleGAN2 "clean" generator (no custom ops): bilinear ×2 before the upsampling modulated conv,
  demodulation eps 1e-8, output of each StyleConv ×√2 then noise·w + bias, LeakyReLU 0.2; the SFT
  scale/shift act on the second half of the channels after the first conv of each level.

Noise: the released forward draws fresh noise per call (GOHA passes none, so its outputs are random);
here `noise_mode="stored"` (default) uses the stored buffers, which makes outputs deterministic,
`"random"` draws from an optional seeded generator. The mode is part of the config a run records.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

from .stylegan2 import modulated_conv2d

NOISE_MODES = ("stored", "random")
SQRT2 = math.sqrt(2.0)


@dataclass(frozen=True)
class GFPGANConfig:
    """GFPGANer(arch='clean', channel_multiplier=2) for v1.3; GOHA and Talk3D build exactly this."""

    out_size: int = 512
    num_style_feat: int = 512
    channel_multiplier: int = 2
    num_mlp: int = 8
    input_is_latent: bool = True
    different_w: bool = True
    narrow: float = 1.0
    sft_half: bool = True

    @property
    def log_size(self) -> int:
        return int(math.log2(self.out_size))

    def _base_channels(self, size: int) -> int:
        return {4: 512, 8: 512, 16: 512, 32: 512, 64: 256 * self.channel_multiplier,
                128: 128 * self.channel_multiplier, 256: 64 * self.channel_multiplier,
                512: 32 * self.channel_multiplier, 1024: 16 * self.channel_multiplier}[size]

    def decoder_channels(self, size: int) -> int:
        """StyleGAN2 decoder channels at a resolution."""
        return int(self._base_channels(size) * self.narrow)

    def unet_channels(self, size: int) -> int:
        """The U-Net uses half the decoder's channels (`unet_narrow = narrow * 0.5`)."""
        return int(self._base_channels(size) * self.narrow * 0.5)

    def to_dict(self) -> dict:
        return asdict(self)


class NormStyleCode(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.rsqrt(torch.mean(x ** 2, dim=1, keepdim=True) + 1e-8)


class ModulatedConv(nn.Module):
    """`modulated_conv`: weight (1, out, in, k, k), per-sample style from a plain nn.Linear `modulation`."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, num_style_feat: int,
                 demodulate: bool = True, upsample: bool = False):
        super().__init__()
        self.demodulate, self.upsample = demodulate, upsample
        self.modulation = nn.Linear(num_style_feat, in_channels)
        nn.init.kaiming_normal_(self.modulation.weight, a=0, mode="fan_in", nonlinearity="linear")
        nn.init.constant_(self.modulation.bias, 1.0)
        self.weight = nn.Parameter(torch.randn(1, out_channels, in_channels, kernel_size, kernel_size)
                                   / math.sqrt(in_channels * kernel_size ** 2))
        self.padding = kernel_size // 2

    def forward(self, x: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
        styles = self.modulation(style)
        if self.upsample:
            x = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
        return modulated_conv2d(x, self.weight[0], styles, padding=self.padding, demodulate=self.demodulate)


class StyleConv(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, num_style_feat: int, upsample: bool = False):
        super().__init__()
        self.modulated_conv = ModulatedConv(in_channels, out_channels, 3, num_style_feat, upsample=upsample)
        self.weight = nn.Parameter(torch.zeros(1))  # noise strength
        self.bias = nn.Parameter(torch.zeros(1, out_channels, 1, 1))

    def forward(self, x: torch.Tensor, style: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        out = self.modulated_conv(x, style) * SQRT2
        return F.leaky_relu(out + self.weight * noise + self.bias, 0.2)


class ToRGB(nn.Module):
    def __init__(self, in_channels: int, num_style_feat: int, upsample: bool = True):
        super().__init__()
        self.upsample = upsample
        self.modulated_conv = ModulatedConv(in_channels, 3, 1, num_style_feat, demodulate=False)
        self.bias = nn.Parameter(torch.zeros(1, 3, 1, 1))

    def forward(self, x: torch.Tensor, style: torch.Tensor, skip: torch.Tensor | None = None) -> torch.Tensor:
        out = self.modulated_conv(x, style) + self.bias
        if skip is not None:
            if self.upsample:
                skip = F.interpolate(skip, scale_factor=2, mode="bilinear", align_corners=False)
            out = out + skip
        return out


class ConstantInput(nn.Module):
    def __init__(self, channels: int, size: int = 4):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(1, channels, size, size))

    def forward(self, batch: int) -> torch.Tensor:
        return self.weight.repeat(batch, 1, 1, 1)


class StyleGAN2DecoderSFT(nn.Module):
    """StyleGAN2GeneratorCSFT: the clean StyleGAN2 generator with SFT conditions after each level's first conv."""

    def __init__(self, cfg: GFPGANConfig):
        super().__init__()
        self.sft_half = cfg.sft_half
        mlp: list[nn.Module] = [NormStyleCode()]
        for _ in range(cfg.num_mlp):
            mlp += [nn.Linear(cfg.num_style_feat, cfg.num_style_feat), nn.LeakyReLU(0.2)]
        self.style_mlp = nn.Sequential(*mlp)
        for layer in self.style_mlp:
            if isinstance(layer, nn.Linear):
                nn.init.kaiming_normal_(layer.weight, a=0.2, mode="fan_in", nonlinearity="leaky_relu")
                nn.init.zeros_(layer.bias)
        c4 = cfg.decoder_channels(4)
        self.constant_input = ConstantInput(c4, 4)
        self.style_conv1 = StyleConv(c4, c4, cfg.num_style_feat)
        self.to_rgb1 = ToRGB(c4, cfg.num_style_feat, upsample=False)
        self.num_layers = (cfg.log_size - 2) * 2 + 1
        self.num_latent = cfg.log_size * 2 - 2
        self.style_convs = nn.ModuleList()
        self.to_rgbs = nn.ModuleList()
        self.noises = nn.Module()
        for i in range(self.num_layers):
            res = 2 ** ((i + 5) // 2)
            self.noises.register_buffer(f"noise{i}", torch.randn(1, 1, res, res))
        in_c = c4
        for level in range(3, cfg.log_size + 1):
            out_c = cfg.decoder_channels(2 ** level)
            self.style_convs.append(StyleConv(in_c, out_c, cfg.num_style_feat, upsample=True))
            self.style_convs.append(StyleConv(out_c, out_c, cfg.num_style_feat))
            self.to_rgbs.append(ToRGB(out_c, cfg.num_style_feat))
            in_c = out_c

    def layer_noise(self, batch: int, noise_mode: str, generator: torch.Generator | None) -> list[torch.Tensor]:
        stored = [getattr(self.noises, f"noise{i}") for i in range(self.num_layers)]
        if noise_mode == "stored":
            return stored
        if noise_mode == "random":
            return [torch.randn((batch, 1, *n.shape[-2:]), generator=generator, device=n.device).to(n.dtype)
                    for n in stored]
        raise ValueError(f"noise_mode must be one of {NOISE_MODES}, got {noise_mode!r}")

    def forward(self, latent: torch.Tensor, conditions: list[torch.Tensor], noise_mode: str = "stored",
                generator: torch.Generator | None = None) -> torch.Tensor:
        """latent (B, num_latent, 512) (or (B, 512), repeated); conditions [scale, shift] per level."""
        if latent.ndim == 2:
            latent = latent.unsqueeze(1).repeat(1, self.num_latent, 1)
        noise = self.layer_noise(latent.shape[0], noise_mode, generator)
        out = self.constant_input(latent.shape[0])
        out = self.style_conv1(out, latent[:, 0], noise[0])
        skip = self.to_rgb1(out, latent[:, 1])
        i = 1
        for conv_up, conv, to_rgb, n_up, n in zip(self.style_convs[::2], self.style_convs[1::2], self.to_rgbs,
                                                  noise[1::2], noise[2::2]):
            out = conv_up(out, latent[:, i], n_up)
            if i < len(conditions):
                scale, shift = conditions[i - 1], conditions[i]
                if self.sft_half:
                    same, sft = torch.split(out, out.shape[1] // 2, dim=1)
                    out = torch.cat([same, sft * scale + shift], dim=1)
                else:
                    out = out * scale + shift
            out = conv(out, latent[:, i + 1], n)
            skip = to_rgb(out, latent[:, i + 2], skip)
            i += 2
        return skip


class ResBlock(nn.Module):
    """conv3×3 → LReLU → bilinear resize → conv3×3 → LReLU, plus a resized 1×1 (bias-free) skip."""

    def __init__(self, in_channels: int, out_channels: int, scale: float):
        super().__init__()
        self.scale = scale
        self.conv1 = nn.Conv2d(in_channels, in_channels, 3, 1, 1)
        self.conv2 = nn.Conv2d(in_channels, out_channels, 3, 1, 1)
        self.skip = nn.Conv2d(in_channels, out_channels, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        resize = lambda t: F.interpolate(t, scale_factor=self.scale, mode="bilinear", align_corners=False)  # noqa: E731
        out = F.leaky_relu(self.conv1(x), 0.2)
        out = F.leaky_relu(self.conv2(resize(out)), 0.2)
        return out + self.skip(resize(x))


def _sft_head(channels: int, out_channels: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(channels, channels, 3, 1, 1), nn.LeakyReLU(0.2),
                         nn.Conv2d(channels, out_channels, 3, 1, 1))


class GFPGANv1Clean(nn.Module):
    def __init__(self, config: GFPGANConfig | None = None):
        super().__init__()
        self.config = cfg = config or GFPGANConfig()
        if not cfg.input_is_latent:
            raise ValueError("only input_is_latent=True is implemented (GFPGAN v1.3 as GOHA and Talk3D use it)")
        levels = range(3, cfg.log_size + 1)  # 8² ... out_size²
        unet = cfg.unet_channels
        self.conv_body_first = nn.Conv2d(3, unet(cfg.out_size), 1)
        in_c = unet(cfg.out_size)
        self.conv_body_down = nn.ModuleList()
        for level in range(cfg.log_size, 2, -1):
            self.conv_body_down.append(ResBlock(in_c, unet(2 ** (level - 1)), 0.5))
            in_c = unet(2 ** (level - 1))
        self.final_conv = nn.Conv2d(in_c, unet(4), 3, 1, 1)
        in_c = unet(4)
        self.conv_body_up = nn.ModuleList()
        for level in levels:
            self.conv_body_up.append(ResBlock(in_c, unet(2 ** level), 2.0))
            in_c = unet(2 ** level)
        self.toRGB = nn.ModuleList([nn.Conv2d(unet(2 ** level), 3, 1) for level in levels])
        n_w = (cfg.log_size * 2 - 2) if cfg.different_w else 1
        self.final_linear = nn.Linear(unet(4) * 16, n_w * cfg.num_style_feat)
        self.stylegan_decoder = StyleGAN2DecoderSFT(cfg)
        sft_out = (lambda c: c) if cfg.sft_half else (lambda c: 2 * c)
        self.condition_scale = nn.ModuleList([_sft_head(unet(2 ** lv), sft_out(unet(2 ** lv))) for lv in levels])
        self.condition_shift = nn.ModuleList([_sft_head(unet(2 ** lv), sft_out(unet(2 ** lv))) for lv in levels])

    def forward(self, x: torch.Tensor, noise_mode: str = "stored", generator: torch.Generator | None = None,
                return_rgb: bool = True) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """x (B, 3, out_size, out_size) in [-1, 1] -> (image, intermediate rgbs at 8² ... out_size²)."""
        cfg = self.config
        feat = F.leaky_relu(self.conv_body_first(x), 0.2)
        skips = []
        for block in self.conv_body_down:
            feat = block(feat)
            skips.insert(0, feat)
        feat = F.leaky_relu(self.final_conv(feat), 0.2)
        style = self.final_linear(feat.reshape(feat.shape[0], -1))
        if cfg.different_w:
            style = style.view(style.shape[0], -1, cfg.num_style_feat)
        conditions, rgbs = [], []
        for i, block in enumerate(self.conv_body_up):
            feat = block(feat + skips[i])
            conditions += [self.condition_scale[i](feat), self.condition_shift[i](feat)]
            if return_rgb:
                rgbs.append(self.toRGB[i](feat))
        image = self.stylegan_decoder(style, conditions, noise_mode, generator)
        return image, rgbs


def load_gfpgan_params(path: str | Path, sha256: str | None = None) -> dict:
    """The GFPGANv1Clean state_dict of a GFPGAN release file (`params_ema`, else `params`), read with
    `torch.load(weights_only=True)` after an optional sha256 check."""
    from ...errors import InputError
    from ...weights.store import load_checkpoint_file

    p = Path(path)
    ckpt = load_checkpoint_file(p, sha256, "pass the released GFPGANv1.3.pth")
    for key in ("params_ema", "params"):
        if isinstance(ckpt, dict) and isinstance(ckpt.get(key), dict):
            return ckpt[key]
    raise InputError(p, "no 'params_ema' or 'params' state_dict in this file", "pass the released GFPGANv1.3.pth")
