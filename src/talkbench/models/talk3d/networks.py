"""Talk3D's trainable networks in the released layout (cvlab-kaist/Talk3D `training/networks_diffusers.py`,
`talk3d_helper.py`), keys equal to `May_demo.pt` flattened as `<top-level key>.<state_dict key>`.

Deltaplane predictor (`Deltaplane_Predictor(96)`, 17.5M parameters), on a tri-plane (B, 96, 256, 256) =
three 32-channel planes named xy, yz, zx:

    per level, `aware3d` gives each plane its own C channels + the other two planes averaged along the shared
    axis and broadcast (C -> 3C; "3D-aware conv", from Mimic3D), then a per-plane block
    conv3×3 -> BN -> LeakyReLU(0.01) -> conv3×3 -> BN -> LeakyReLU -> FIR down/up-sample ([1,3,3,1]):
    Down  32 -> 64 -> 128 -> 256 ch / plane, 256 -> 32 px (skips s1 after level 1, s2 after level 2)
    Transformer2DModel (per-plane GroupNorm(32) + Linear, 2 blocks, a fixed 3D sinusoidal PE added before
      each block): per-plane self-attention -> cross-attention of all 3·32² tokens to the 5 condition
      tokens (64-d, one shared Attention) -> per-plane GEGLU feed-forward; + the input (residual)
    Up    256 -> 128 (+ s2) -> 64 (+ s1) -> 32 ch / plane, 32 -> 256 px; `Upnet3_*.conv1` zero-initialised
    -> delta-plane (B, 96, 256, 256), added to the identity tri-plane.

Condition tokens, each 64-d, in this order: audio (AudioNet on each of 8 windows of 16 wav2vec2 frames
(44-d) -> AudioAttNet softmax-weighted sum), blink (AU45 scalar -> NeRF PE 16 freq. -> 3-layer MLP),
the learned null token, head angles (3 -> PE 10 freq. -> MLP), landmarks (3 points, 6 -> PE 6 freq. -> MLP).
"""
from __future__ import annotations

import math
from typing import Callable

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..components.equalized import downsample2d, setup_filter, upsample2d
from .config import Talk3DConfig

PLANES = ("xy", "yz", "zx")


def aware3d(xy: torch.Tensor, yz: torch.Tensor, zx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Each (B, C, H, W) plane -> (B, 3C, H, W): itself plus the other two planes reduced along the axis
    they share with it (released `aware3d(split=True)`, channel order as upstream)."""
    h, w = xy.shape[-2:]
    zy, xz, yx = yz.transpose(-1, -2), zx.transpose(-1, -2), xy.transpose(-1, -2)
    xy_ = torch.cat([xy, zy.mean(-1, keepdim=True).expand(-1, -1, -1, w), xz.mean(-2, keepdim=True).expand(-1, -1, h, -1)], 1)
    yz_ = torch.cat([yx.mean(-2, keepdim=True).expand(-1, -1, h, -1), yz, xz.mean(-1, keepdim=True).expand(-1, -1, -1, w)], 1)
    zx_ = torch.cat([yx.mean(-1, keepdim=True).expand(-1, -1, -1, w), zy.mean(-2, keepdim=True).expand(-1, -1, h, -1), zx], 1)
    return xy_, yz_, zx_


class PlaneBlock(nn.Module):
    """`SynthesisBlock_noaffine` (architecture 'orig', no shortcut): two conv-BN-LeakyReLU, then FIR resample."""

    def __init__(self, in_channels: int, out_channels: int, resample: str):
        super().__init__()
        if resample not in ("up", "down"):
            raise ValueError("resample must be 'up' or 'down'")
        self.resample = resample
        self.register_buffer("resample_filter", setup_filter())
        self.conv0 = nn.Conv2d(in_channels, out_channels, 3, 1, 1)
        self.conv1 = nn.Conv2d(out_channels, out_channels, 3, 1, 1)
        self.bn0 = nn.BatchNorm2d(out_channels)
        self.bn1 = nn.BatchNorm2d(out_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.leaky_relu(self.bn0(self.conv0(x)), 0.01)
        x = F.leaky_relu(self.bn1(self.conv1(x)), 0.01)
        resample = upsample2d if self.resample == "up" else downsample2d
        return resample(x, self.resample_filter)


def _split(x: torch.Tensor, dim: int) -> tuple[torch.Tensor, ...]:
    return x.chunk(3, dim=dim)


class PlaneLevels(nn.Module):
    """Three levels of per-plane blocks named `{prefix}{level}_{plane}` (Downnet1_xy … / Upnet3_zx)."""

    def __init__(self, prefix: str, channels: list[tuple[int, int]], resample: str):
        super().__init__()
        self.prefix, self.levels = prefix, len(channels)
        for plane in PLANES:  # registration order = the release's key order
            for level, (cin, cout) in enumerate(channels, start=1):
                setattr(self, f"{prefix}{level}_{plane}", PlaneBlock(3 * cin, cout, resample))

    def level(self, i: int, planes: torch.Tensor) -> torch.Tensor:
        parts = aware3d(*_split(planes, 1))
        return torch.cat([getattr(self, f"{self.prefix}{i}_{p}")(x) for p, x in zip(PLANES, parts)], dim=1)


class DownNet(PlaneLevels):
    def __init__(self, plane_channels: int = 32):
        c = plane_channels
        super().__init__("Downnet", [(c, 2 * c), (2 * c, 4 * c), (4 * c, 8 * c)], "down")

    def forward(self, planes: torch.Tensor):
        s1 = self.level(1, planes)
        s2 = self.level(2, s1)
        return self.level(3, s2), (s1, s2)


class UpNet(PlaneLevels):
    def __init__(self, plane_channels: int = 32):
        c = plane_channels
        super().__init__("Upnet", [(8 * c, 4 * c), (4 * c, 2 * c), (2 * c, c)], "up")

    def forward(self, planes: torch.Tensor, skips: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        s1, s2 = skips
        x = self.level(1, planes) + s2
        x = self.level(2, x) + s1
        return self.level(3, x)


class PerPlane(nn.Module):
    """Three copies of a layer named `{prefix}_xy/_yz/_zx`, each applied to its third of `dim`."""

    def __init__(self, prefix: str, factory: Callable[[], nn.Module], dim: int = -1):
        super().__init__()
        self.prefix, self.dim = prefix, dim
        for plane in PLANES:
            setattr(self, f"{prefix}_{plane}", factory())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        parts = _split(x, self.dim)
        return torch.cat([getattr(self, f"{self.prefix}_{p}")(t) for p, t in zip(PLANES, parts)], dim=self.dim)


class Attention(nn.Module):
    """Multi-head attention with 64-d heads; k/v from `context_dim` inputs when given (cross-attention)."""

    def __init__(self, dim: int, context_dim: int | None = None, head_dim: int = 64):
        super().__init__()
        self.heads, self.head_dim = dim // head_dim, head_dim
        context_dim = context_dim or dim
        self.to_q = nn.Linear(dim, dim, bias=False)
        self.to_k = nn.Linear(context_dim, dim, bias=False)
        self.to_v = nn.Linear(context_dim, dim, bias=False)
        self.to_out = nn.ModuleList([nn.Linear(dim, dim), nn.Dropout(0.0)])

    def scores(self, x: torch.Tensor, context: torch.Tensor | None = None) -> torch.Tensor:
        ctx = x if context is None else context
        q, k = self._heads(self.to_q(x)), self._heads(self.to_k(ctx))
        return torch.softmax(q @ k.transpose(-1, -2) * self.head_dim ** -0.5, dim=-1)

    def _heads(self, t: torch.Tensor) -> torch.Tensor:
        b, n, _ = t.shape
        return t.reshape(b, n, self.heads, self.head_dim).transpose(1, 2)

    def forward(self, x: torch.Tensor, context: torch.Tensor | None = None) -> torch.Tensor:
        b, n, c = x.shape
        v = self._heads(self.to_v(x if context is None else context))
        out = (self.scores(x, context) @ v).transpose(1, 2).reshape(b, n, c)
        return self.to_out[1](self.to_out[0](out))


class GEGLU(nn.Module):
    def __init__(self, dim_in: int, dim_out: int):
        super().__init__()
        self.proj = nn.Linear(dim_in, dim_out * 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a, gate = self.proj(x).chunk(2, dim=-1)
        return a * F.gelu(gate)


class FeedForward(nn.Module):
    def __init__(self, dim: int, mult: int = 4):
        super().__init__()
        self.net = nn.ModuleList([GEGLU(dim, dim * mult), nn.Dropout(0.0), nn.Linear(dim * mult, dim)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.net:
            x = layer(x)
        return x


class DistributedTransformerBlock(nn.Module):
    """Per-plane self-attention, shared cross-attention over all planes' tokens, per-plane feed-forward."""

    def __init__(self, dim: int, context_dim: int = 64):
        super().__init__()
        self.norm1 = PerPlane("norm", lambda: nn.LayerNorm(dim))
        self.attn1 = PerPlane("att", lambda: Attention(dim))
        self.norm2 = PerPlane("norm", lambda: nn.LayerNorm(dim))
        self.attn2 = Attention(dim, context_dim)
        self.norm3 = PerPlane("norm", lambda: nn.LayerNorm(dim))
        self.ff = PerPlane("ff", lambda: FeedForward(dim))

    @staticmethod
    def _planes_to_tokens(x: torch.Tensor) -> torch.Tensor:  # (B, N, 3C) -> (B, 3N, C)
        return torch.cat(_split(x, -1), dim=1)

    @staticmethod
    def _tokens_to_planes(x: torch.Tensor) -> torch.Tensor:  # (B, 3N, C) -> (B, N, 3C)
        return torch.cat(_split(x, 1), dim=-1)

    def forward(self, x: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        x = self.attn1(self.norm1(x)) + x
        t = self._planes_to_tokens(x)
        t = self.attn2(self._planes_to_tokens(self.norm2(x)), context) + t
        x = self._tokens_to_planes(t)
        return self.ff(self.norm3(x)) + x


def sinusoid(positions: torch.Tensor, channels: int) -> torch.Tensor:
    """positional-encodings' 1-D embedding: sin/cos interleaved at frequencies 10000^(-2i/channels)."""
    inv_freq = 1.0 / (10000 ** (torch.arange(0, channels, 2).float() / channels))
    angles = positions.float()[:, None] * inv_freq[None]
    return torch.stack([angles.sin(), angles.cos()], dim=-1).flatten(-2)


def triplane_positional_encoding(resolution: int, dim: int) -> torch.Tensor:
    """(1, res², 3·dim): `PositionalEncoding3D(dim)` (positional-encodings 6.0.1) of a res³ grid, averaged
    over the two central slices along z, x and y for the three planes (released
    `sinusoidal_embedding_for_triplane`; x/y/z parts each take ceil(dim/6)·2 channels, cut to dim)."""
    ch = int(math.ceil(dim / 6) * 2)
    ch += ch % 2
    axis = sinusoid(torch.arange(resolution), ch)  # (R, ch)
    centre = axis[resolution // 2 - 1: resolution // 2 + 1].mean(0)  # the 2-slice average
    r = resolution

    def grid(ex, ey, ez):  # (R, R, 3ch) with x-, y-, z-parts given per axis (broadcast)
        return torch.cat([ex.expand(r, r, ch), ey.expand(r, r, ch), ez.expand(r, r, ch)], dim=-1)[..., :dim]

    z0 = grid(axis[:, None], axis[None, :], centre)          # mean over z: indexed (x, y)
    x0 = grid(centre, axis[:, None], axis[None, :])          # mean over x: indexed (y, z)
    y0 = grid(axis[:, None], centre, axis[None, :])          # mean over y: indexed (x, z)
    pe = torch.stack([z0, x0, y0]).permute(0, 3, 1, 2).reshape(3 * dim, r * r)
    return pe.t().unsqueeze(0).contiguous()


class Transformer2DModel(nn.Module):
    """Bottleneck: per-plane GroupNorm + Linear, n blocks (PE added before each), residual to the input."""

    def __init__(self, dim: int = 256, n_layers: int = 2, resolution: int = 32, context_dim: int = 64):
        super().__init__()
        self.pos_emb = nn.Parameter(triplane_positional_encoding(resolution, dim), requires_grad=False)
        self.norm = PerPlane("GN", lambda: nn.GroupNorm(32, dim), dim=1)
        self.proj_in = PerPlane("lin", lambda: nn.Linear(dim, dim))
        self.transformer_blocks = nn.ModuleList([DistributedTransformerBlock(dim, context_dim) for _ in range(n_layers)])

    def forward(self, x: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        hidden = self.proj_in(self.norm(x).permute(0, 2, 3, 1).reshape(b, h * w, c))
        for block in self.transformer_blocks:
            hidden = block(hidden + self.pos_emb, context)
        return hidden.reshape(b, h, w, c).permute(0, 3, 1, 2) + x


class DeltaplanePredictor(nn.Module):
    """`Deltaplane_Predictor(96)`: identity tri-plane (B, 96, 256, 256) + tokens (B, 5, 64) -> delta-plane."""

    def __init__(self, img_channels: int = 96, token_dim: int = 64, plane_resolution: int = 256):
        super().__init__()
        c = img_channels // 3
        self.Downnet = DownNet(c)
        self.Upnet = UpNet(c)
        self.transformer = nn.ModuleList([Transformer2DModel(8 * c, n_layers=2, resolution=plane_resolution // 8,
                                                             context_dim=token_dim)])

    def zero_init_last_conv(self) -> None:
        """The released trainer zeroes `Upnet3_*.conv1` before training from scratch (delta starts at 0)."""
        with torch.no_grad():
            for plane in PLANES:
                conv = getattr(self.Upnet, f"Upnet3_{plane}").conv1
                conv.weight.zero_()
                conv.bias.zero_()

    def forward(self, planes: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
        x, skips = self.Downnet(planes)
        for block in self.transformer:
            x = block(x, tokens)
        return self.Upnet(x, skips)


class NerfEmbedding(nn.Module):
    """NeRF positional encoding with the input included: x, sin(2^k x), cos(2^k x), k = 0 … n-1."""

    def __init__(self, input_dim: int, n_freqs: int):
        super().__init__()
        self.input_dim, self.n_freqs = input_dim, n_freqs
        self.out_dim = input_dim * (1 + 2 * n_freqs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        parts = [x]
        for k in range(self.n_freqs):
            f = 2.0 ** k
            parts += [torch.sin(x * f), torch.cos(x * f)]
        return torch.cat(parts, dim=-1)


class SimpleMLP(nn.Module):
    def __init__(self, in_dim: int, out_dim: int, n_layers: int):
        super().__init__()
        self.in_layer = nn.Linear(in_dim, out_dim)
        self.mlp_layers = nn.ModuleList([nn.Linear(out_dim, out_dim) for _ in range(n_layers - 1)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.in_layer(x)
        for layer in self.mlp_layers:
            x = layer(F.relu(x))
        return x


class BlinkEncoder(nn.Module):
    """`Blinkencoder(16, 64, 3)`: eye AU45 (B, 1) -> (B, 1, 64)."""

    def __init__(self, token_dim: int = 64, n_layers: int = 3, n_freqs: int = 16):
        super().__init__()
        self.eye_embedding = NerfEmbedding(1, n_freqs)
        self.simplemlp = SimpleMLP(self.eye_embedding.out_dim, token_dim, n_layers)

    def forward(self, eye: torch.Tensor) -> torch.Tensor:
        return self.simplemlp(self.eye_embedding(eye)).unsqueeze(1)


class CameraEncoder(nn.Module):
    """`Cameraencoder(16, 64, 3)`: head angles (B, 3) and 3 landmarks (B, 6) -> two (B, 1, 64) tokens."""

    def __init__(self, token_dim: int = 64, n_layers: int = 3):
        super().__init__()
        self.angle_embedding = NerfEmbedding(3, 10)
        self.landmark_embedding = NerfEmbedding(6, 6)
        self.encoder1 = SimpleMLP(self.angle_embedding.out_dim, token_dim, n_layers)
        self.encoder2 = SimpleMLP(self.landmark_embedding.out_dim, token_dim, n_layers)

    def forward(self, angle: torch.Tensor, landmark: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return (self.encoder1(self.angle_embedding(angle)).unsqueeze(1),
                self.encoder2(self.landmark_embedding(landmark.flatten(1))).unsqueeze(1))


class AudioNet(nn.Module):
    """RAD-NeRF `AudioNet(44, 64, win 16)`: a (N, 44, 16) window -> 4 stride-2 convs -> 2 FCs -> (N, 64)."""

    def __init__(self, dim_in: int = 44, dim_aud: int = 64, win_size: int = 16):
        super().__init__()
        self.win_size = win_size
        lrelu = lambda: nn.LeakyReLU(0.02, True)  # noqa: E731
        self.encoder_conv = nn.Sequential(
            nn.Conv1d(dim_in, 32, 3, 2, 1), lrelu(), nn.Conv1d(32, 32, 3, 2, 1), lrelu(),
            nn.Conv1d(32, 64, 3, 2, 1), lrelu(), nn.Conv1d(64, 64, 3, 2, 1), lrelu())
        self.encoder_fc1 = nn.Sequential(nn.Linear(64, 64), lrelu(), nn.Linear(64, dim_aud))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        half = self.win_size // 2
        x = x[:, :, 8 - half: 8 + half]
        return self.encoder_fc1(self.encoder_conv(x).squeeze(-1))


class AudioAttNet(nn.Module):
    """RAD-NeRF `AudioAttNet(64, seq 8)`: softmax weights over 8 consecutive window codes -> their weighted sum."""

    def __init__(self, dim_aud: int = 64, seq_len: int = 8):
        super().__init__()
        self.seq_len = seq_len
        chans = [dim_aud, 16, 8, 4, 2, 1]
        layers: list[nn.Module] = []
        for cin, cout in zip(chans[:-1], chans[1:]):
            layers += [nn.Conv1d(cin, cout, 3, 1, 1), nn.LeakyReLU(0.02, True)]
        self.attentionConvNet = nn.Sequential(*layers)
        self.attentionNet = nn.Sequential(nn.Linear(seq_len, seq_len), nn.Softmax(dim=1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, seq_len, dim) -> (B, dim)."""
        y = self.attentionConvNet(x.permute(0, 2, 1)).reshape(x.shape[0], self.seq_len)
        weights = self.attentionNet(y).unsqueeze(-1)
        return (weights * x).sum(dim=1)


class Talk3DNetworks(nn.Module):
    """Everything `May_demo.pt` stores; `state_dict()` keys equal the release's flattened keys."""

    def __init__(self, config: Talk3DConfig | None = None, num_null_vector: int = 1):
        super().__init__()
        cfg = self.config = config or Talk3DConfig()
        self.deltaplane_predictor = DeltaplanePredictor(3 * cfg.plane_channels, cfg.token_dim, cfg.plane_resolution)
        self.blink_encoder = BlinkEncoder(cfg.token_dim)
        self.camera_encoder = CameraEncoder(cfg.token_dim)
        self.audio_net = AudioNet(cfg.audio_dim, cfg.token_dim, cfg.audio_window)
        self.audio_att_net = AudioAttNet(cfg.token_dim, cfg.audio_sequence)
        self.null_vector = nn.Parameter(torch.randn(1, num_null_vector, cfg.token_dim))

    def audio_token(self, windows: torch.Tensor) -> torch.Tensor:
        """windows (B, 8, 44, 16) -> (B, 1, 64)."""
        b, s = windows.shape[:2]
        codes = self.audio_net(windows.reshape(b * s, *windows.shape[2:])).reshape(b, s, -1)
        return self.audio_att_net(codes).unsqueeze(1)

    def tokens(self, windows: torch.Tensor, eye: torch.Tensor, angle: torch.Tensor, landmark: torch.Tensor,
               audio_token: torch.Tensor | None = None) -> torch.Tensor:
        """-> (B, 5, 64): audio, blink, null, angle, landmark (the released order)."""
        audio = self.audio_token(windows) if audio_token is None else audio_token
        b = audio.shape[0]
        angle_tok, lm_tok = self.camera_encoder(angle, landmark)
        return torch.cat([audio, self.blink_encoder(eye), self.null_vector.expand(b, -1, -1), angle_tok, lm_tok], dim=1)

    def forward(self, id_planes: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
        return self.deltaplane_predictor(id_planes, tokens)
