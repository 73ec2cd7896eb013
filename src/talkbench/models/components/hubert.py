"""HuBERT (`facebook/hubert-large-ls960-ft`) as Real3D-Portrait uses it: the last hidden state, 1024-d at 50 Hz.

Architecture (transformers' `HubertModel` with the hub config: feat_extract_norm "layer", conv_bias,
do_stable_layer_norm, feat_proj_layer_norm):

    waveform (B, n) ─> 7 convs (512 ch, kernels 10,3,3,3,3,2,2, strides 5,2,2,2,2,2,2; each conv -> LayerNorm
    over channels -> GELU)  = one receptive field of 400 samples every 320 samples
    ─> feature_projection (LayerNorm 512 -> Linear 512->1024)
    ─> + positional conv embedding (Conv1d k=128, 16 groups, weight-normalised over the kernel axis
       (dim=2), the last output frame dropped for the even kernel, GELU)
    ─> 24 pre-LayerNorm transformer layers (16 heads, FFN 4096, GELU) ─> final LayerNorm.

State-dict keys equal `HubertModel`'s as stored in the hub file (the weight-normalised conv keeps
`weight_g` (1, 1, 128) and `weight_v`; newer transformers name them `parametrizations.weight.original0/1`,
which the loader also accepts). The hub file is a `HubertForCTC` dump: keys carry a `hubert.` prefix and
an `lm_head.*` CTC head that is not used here and is dropped (logged).

`hubert_features` reproduces the released pre-processing (data_gen/utils/process_audio/extract_hubert.py):
the whole utterance is normalised to zero mean / unit variance (Wav2Vec2 feature extractor, do_normalize),
then fed in clips of 1000 output frames (320·1000 - 320 + 400 samples each, clips starting every 320·1000
samples so no frame is computed twice), the remainder as one more clip if it holds at least 400 samples;
the result has (n - 80) // 320 frames (the last frame repeated if the skipped remainder leaves one short).
"""
from __future__ import annotations

import logging
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

log = logging.getLogger("talkbench.models.hubert")

HUBERT_WEIGHTS_ID = "hubert-large-ls960-ft"
NORMALISE_EPS = 1e-7  # Wav2Vec2FeatureExtractor's zero-mean unit-variance epsilon


@dataclass
class HubertConfig:
    """Defaults: hubert-large-ls960-ft's config.json (the values that shape the network)."""

    hidden_size: int = 1024
    num_layers: int = 24
    num_heads: int = 16
    intermediate_size: int = 4096
    conv_dim: tuple[int, ...] = (512,) * 7
    conv_kernel: tuple[int, ...] = (10, 3, 3, 3, 3, 2, 2)
    conv_stride: tuple[int, ...] = (5, 2, 2, 2, 2, 2, 2)
    conv_bias: bool = True
    pos_conv_kernel: int = 128
    pos_conv_groups: int = 16
    layer_norm_eps: float = 1e-5
    masked_spec_embed: bool = True  # present in the file (mask_time_prob > 0); unused at inference

    @property
    def hop(self) -> int:
        """Samples between output frames (320 for the released strides)."""
        return math.prod(self.conv_stride)

    @property
    def receptive_field(self) -> int:
        """Samples behind one output frame (400 for the released kernels/strides)."""
        rf, jump = 1, 1
        for k, s in zip(self.conv_kernel, self.conv_stride):
            rf += (k - 1) * jump
            jump *= s
        return rf

    def n_frames(self, n_samples: int) -> int:
        return max(0, (n_samples - self.receptive_field) // self.hop + 1)

    def to_dict(self) -> dict:
        return asdict(self)


class _ConvLayer(nn.Module):
    def __init__(self, cin: int, cout: int, kernel: int, stride: int, bias: bool):
        super().__init__()
        self.conv = nn.Conv1d(cin, cout, kernel, stride, bias=bias)
        self.layer_norm = nn.LayerNorm(cout)  # default eps, over channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.layer_norm(self.conv(x).transpose(1, 2)).transpose(1, 2)
        return F.gelu(x)


class FeatureEncoder(nn.Module):
    def __init__(self, cfg: HubertConfig):
        super().__init__()
        dims = (1,) + tuple(cfg.conv_dim)
        self.conv_layers = nn.ModuleList(
            _ConvLayer(dims[i], dims[i + 1], k, s, cfg.conv_bias)
            for i, (k, s) in enumerate(zip(cfg.conv_kernel, cfg.conv_stride)))

    def forward(self, wave: torch.Tensor) -> torch.Tensor:
        x = wave[:, None]
        for layer in self.conv_layers:
            x = layer(x)
        return x  # (B, C, T)


class FeatureProjection(nn.Module):
    def __init__(self, cfg: HubertConfig):
        super().__init__()
        self.layer_norm = nn.LayerNorm(cfg.conv_dim[-1], eps=cfg.layer_norm_eps)
        self.projection = nn.Linear(cfg.conv_dim[-1], cfg.hidden_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.projection(self.layer_norm(x))


class KernelWeightNormConv1d(nn.Module):
    """Grouped Conv1d whose weight is g · v / ‖v‖ with the norm taken over (out, in) for each kernel tap
    (torch's weight_norm with dim=2), stored as explicit `weight_g` (1, 1, k) and `weight_v` parameters."""

    def __init__(self, channels: int, kernel: int, groups: int):
        super().__init__()
        self.padding, self.groups = kernel // 2, groups
        ref = nn.Conv1d(channels, channels, kernel, padding=kernel // 2, groups=groups)
        self.bias = nn.Parameter(ref.bias.detach().clone())
        self.weight_v = nn.Parameter(ref.weight.detach().clone())
        self.weight_g = nn.Parameter(self._norm(self.weight_v.detach()))

    @staticmethod
    def _norm(v: torch.Tensor) -> torch.Tensor:
        return v.pow(2).sum(dim=(0, 1), keepdim=True).sqrt()

    @property
    def weight(self) -> torch.Tensor:
        return self.weight_v * (self.weight_g / self._norm(self.weight_v))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv1d(x, self.weight, self.bias, padding=self.padding, groups=self.groups)


class PositionalConvEmbedding(nn.Module):
    def __init__(self, cfg: HubertConfig):
        super().__init__()
        self.conv = KernelWeightNormConv1d(cfg.hidden_size, cfg.pos_conv_kernel, cfg.pos_conv_groups)
        self.drop_last = cfg.pos_conv_kernel % 2 == 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, T, C)
        y = self.conv(x.transpose(1, 2))
        if self.drop_last:
            y = y[..., :-1]
        return F.gelu(y).transpose(1, 2)


class SelfAttention(nn.Module):
    def __init__(self, dim: int, heads: int):
        super().__init__()
        self.heads = heads
        self.q_proj, self.k_proj, self.v_proj, self.out_proj = (nn.Linear(dim, dim) for _ in range(4))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, c = x.shape
        split = lambda y: y.view(b, t, self.heads, c // self.heads).transpose(1, 2)  # noqa: E731
        y = F.scaled_dot_product_attention(split(self.q_proj(x)), split(self.k_proj(x)), split(self.v_proj(x)))
        return self.out_proj(y.transpose(1, 2).reshape(b, t, c))


class FeedForward(nn.Module):
    def __init__(self, dim: int, hidden: int):
        super().__init__()
        self.intermediate_dense = nn.Linear(dim, hidden)
        self.output_dense = nn.Linear(hidden, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.output_dense(F.gelu(self.intermediate_dense(x)))


class EncoderLayer(nn.Module):
    """Pre-LayerNorm ("stable layer norm") transformer layer."""

    def __init__(self, cfg: HubertConfig):
        super().__init__()
        self.attention = SelfAttention(cfg.hidden_size, cfg.num_heads)
        self.layer_norm = nn.LayerNorm(cfg.hidden_size, eps=cfg.layer_norm_eps)
        self.feed_forward = FeedForward(cfg.hidden_size, cfg.intermediate_size)
        self.final_layer_norm = nn.LayerNorm(cfg.hidden_size, eps=cfg.layer_norm_eps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attention(self.layer_norm(x))
        return x + self.feed_forward(self.final_layer_norm(x))


class Encoder(nn.Module):
    def __init__(self, cfg: HubertConfig):
        super().__init__()
        self.pos_conv_embed = PositionalConvEmbedding(cfg)
        self.layer_norm = nn.LayerNorm(cfg.hidden_size, eps=cfg.layer_norm_eps)
        self.layers = nn.ModuleList(EncoderLayer(cfg) for _ in range(cfg.num_layers))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.pos_conv_embed(x)
        for layer in self.layers:
            x = layer(x)
        return self.layer_norm(x)


class Hubert(nn.Module):
    """`HubertModel` (inference only: no masking, no dropout): waveform (B, n) -> last hidden state (B, T, C)."""

    def __init__(self, config: HubertConfig | None = None):
        super().__init__()
        self.config = cfg = config or HubertConfig()
        self.feature_extractor = FeatureEncoder(cfg)
        self.feature_projection = FeatureProjection(cfg)
        if cfg.masked_spec_embed:
            self.masked_spec_embed = nn.Parameter(torch.rand(cfg.hidden_size))
        self.encoder = Encoder(cfg)

    def forward(self, wave: torch.Tensor) -> torch.Tensor:
        feats = self.feature_extractor(wave).transpose(1, 2)
        return self.encoder(self.feature_projection(feats))


# -- loading ----------------------------------------------------------------------------------------
_WEIGHT_NORM_RENAMES = {"parametrizations.weight.original0": "weight_g", "parametrizations.weight.original1": "weight_v"}


def hub_state_dict_to_ours(state: Mapping[str, Any]) -> dict[str, torch.Tensor]:
    """HubertForCTC / HubertModel file keys -> ours: strip `hubert.`, drop `lm_head.*`, old weight-norm names."""
    out, dropped = {}, []
    for key, value in state.items():
        if key.startswith("lm_head."):
            dropped.append(key)
            continue
        key = key[len("hubert."):] if key.startswith("hubert.") else key
        for new_name, old_name in _WEIGHT_NORM_RENAMES.items():
            key = key.replace(new_name, old_name)
        out[key] = value
    if dropped:
        log.info("HuBERT file: ignored the CTC head (%s), only the encoder's last hidden state is used", ", ".join(dropped))
    return out


def _file_in(folder: Path) -> Path:
    for name in ("model.safetensors", "pytorch_model.bin"):
        if (folder / name).is_file():
            return folder / name
    from ...errors import InputError

    raise InputError(folder, "holds neither model.safetensors nor pytorch_model.bin",
                     "pass the hub snapshot folder of facebook/hubert-large-ls960-ft or the weight file itself")


def read_hubert_file(path: str | Path, sha256: str | None = None) -> dict[str, torch.Tensor]:
    """The raw tensors of a hub weight file (`.safetensors` via the safetensors package, else
    `torch.load(weights_only=True)`), after a sha256 check when one is given."""
    from ...weights.store import check_sha256

    path = Path(path)
    path = _file_in(path) if path.is_dir() else path
    check_sha256(path, sha256)
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        return load_file(str(path))
    return torch.load(path, map_location="cpu", weights_only=True)


def load_hubert(weights: str | Path = HUBERT_WEIGHTS_ID, sha256: str | None = None, config: HubertConfig | None = None,
                device: str | torch.device = "cpu") -> Hubert:
    """HuBERT from a registry id (official sha256 checked; MissingWeightsError when not installed), a hub
    snapshot folder or a weight file (pytorch_model.bin / model.safetensors), loaded strictly."""
    from ...weights.store import get_weights_spec, list_weights, locate_weights

    if isinstance(weights, str) and weights in {s.id for s in list_weights()} and not Path(weights).exists():
        spec = get_weights_spec(weights)
        path, sha256 = locate_weights(spec), sha256 or spec.sha256
    else:
        path = Path(weights)
        if not path.exists():
            from ...errors import MissingWeightsError

            spec = get_weights_spec(HUBERT_WEIGHTS_ID)
            raise MissingWeightsError(path.name, spec.id, spec.urls, where=str(path))
    model = Hubert(config)
    model.load_state_dict(hub_state_dict_to_ours(read_hubert_file(path, sha256)), strict=True)
    return model.eval().to(device)


# -- features as the released pre-processing computes them -----------------------------------------
def normalise_waveform(samples: np.ndarray) -> np.ndarray:
    """int16 (scaled by 1/32768, as soundfile reads PCM) or float samples -> float32 zero mean, unit variance."""
    x = np.asarray(samples)
    x = x.astype(np.float32) / 32768.0 if x.dtype == np.int16 else x.astype(np.float32)
    return (x - x.mean()) / np.sqrt(x.var() + NORMALISE_EPS)


@torch.no_grad()
def hubert_features(model: Hubert, samples: np.ndarray, clip_frames: int = 1000) -> torch.Tensor:
    """16 kHz mono samples -> (T, hidden) with T = (n - (rf - hop)) // hop, computed in clips of `clip_frames`."""
    cfg = model.config
    rf, hop = cfg.receptive_field, cfg.hop
    wave = torch.as_tensor(normalise_waveform(samples))
    dev = next(model.parameters()).device
    n = wave.shape[0]
    expected = max(0, (n - (rf - hop)) // hop)
    clip = hop * clip_frames
    pieces = []
    starts = list(range(0, (n // clip) * clip, clip))
    for start in starts:
        pieces.append(model(wave[start:start + clip - hop + rf][None].to(dev))[0])
    rest = wave[len(starts) * clip:]
    if rest.shape[0] >= rf:
        pieces.append(model(rest[None].to(dev))[0])
    if not pieces:
        return torch.zeros(0, cfg.hidden_size)
    out = torch.cat(pieces).cpu()
    if out.shape[0] < expected:
        out = torch.cat([out, out[-1:].expand(expected - out.shape[0], -1)])
    return out[:expected]


__all__ = ["HubertConfig", "Hubert", "load_hubert", "hubert_features", "hub_state_dict_to_ours", "read_hubert_file",
           "normalise_waveform", "HUBERT_WEIGHTS_ID"]
