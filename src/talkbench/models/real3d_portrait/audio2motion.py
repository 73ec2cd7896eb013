"""Real3D-Portrait audio-to-motion (A2M): a conditional VAE with a coupling-flow prior (seed-models.md §2.10).

Layout of the released `audio2secc_vae` checkpoint (`PitchContourVAEModel`, 231 keys, 11,864,064 params):

    HuBERT (50 Hz, 1024) ─nearest ×0.5─> mel_encoder (conv3·BN·GELU·conv3) ─┐
    f0 (50 Hz) ─×0.5─> 300-bin coarse pitch ─> pitch_embed ─> pitch_encoder ─┤ concat
    blink (25 Hz, {0,1}) ─> blink_embed ─────────────────────────────────────┤  (512)
    mouth_amp (scalar, default 0.4) · mouth_amp_embed ───────────────────────┘ ─> cond_proj ─> g (128, 25 Hz)
    vae: g_pre_net squeezes g ×4; encoder (conv stride 4 + 8-layer WaveNet) gives q(z|x, g) over 16 channels;
         prior_flow (4 mean-only couplings, 4-layer WaveNets) maps z to N(0, 1); decoder (deconv ×4 +
         4-layer WaveNet on the full-rate g) gives 64 expression coefficients per 25 Hz frame.

`VAE_MODEL_CONFIG` (use_pitch=False, feat_dim=64) builds the smaller `VAEModel` variant (10,804,928 params, as
measured; HuBERT features only, no cond_proj; its blink_embed exists in the layout but is not used here). Inference samples
z ~ N(0, 1)·temperature (0.2 in the released inference script), runs the flow in reverse and decodes.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from .checkpoint import load_model_state
from .coupling_flow import CouplingFlow
from .wavenet import WaveNet


@dataclass
class Audio2MotionConfig:
    """Released hyper-parameters (egs/os_avatar/audio2motion_vae.yaml and the FVAE constructor)."""

    in_out_dim: int = 64            # 3DMM expression coefficients
    audio_in_dim: int = 1024        # HuBERT-large hidden size (13 for MFCC)
    feat_dim: int = 128             # conditioning width
    use_pitch: bool = True          # PitchContourVAEModel (True) or VAEModel (False)
    use_mouth_amp_embed: bool = True
    use_eye_amp_embed: bool = False
    use_prior_flow: bool = True
    hidden: int = 256
    latent: int = 16
    kernel_size: int = 5
    enc_layers: int = 8
    dec_layers: int = 4
    stride: int = 4                 # temporal squeeze of the latent
    flow_hidden: int = 64
    flow_kernel_size: int = 3
    flow_layers: int = 4            # WaveNet layers per coupling
    flow_blocks: int = 4            # couplings (each followed by a channel flip)
    pitch_bins: int = 300           # embedding rows; f0_to_coarse uses 1..f0_bin-1
    f0_bin: int = 256
    f0_min: float = 50.0
    f0_max: float = 1100.0
    default_mouth_amp: float = 0.4
    temperature: float = 0.2

    def to_dict(self) -> dict:
        return asdict(self)


#: the non-pitch `VAEModel` layout (audio2motion vae.yaml with use_pitch false)
VAE_MODEL_CONFIG = Audio2MotionConfig(use_pitch=False, feat_dim=64, use_mouth_amp_embed=False)


def f0_to_coarse(f0: torch.Tensor, f0_bin: int = 256, f0_min: float = 50.0, f0_max: float = 1100.0) -> torch.Tensor:
    """Hz -> integer bins on the mel scale: unvoiced (f0 = 0) -> 1, f0_min..f0_max -> 1..f0_bin-1 (rounded)."""
    mel = lambda f: 1127.0 * math.log(1 + f / 700.0)  # noqa: E731
    lo, hi = mel(f0_min), mel(f0_max)
    f0_mel = 1127.0 * torch.log1p(f0.double() / 700.0)
    voiced = f0_mel > 0
    f0_mel = torch.where(voiced, (f0_mel - lo) * (f0_bin - 2) / (hi - lo) + 1, f0_mel)
    f0_mel = f0_mel.clamp(1, f0_bin - 1)
    return (f0_mel + 0.5).long()


def _half_rate(x: torch.Tensor) -> torch.Tensor:
    """(B, T, C) 50 Hz -> 25 Hz by nearest interpolation (keeps frames 0, 2, 4, ...)."""
    return F.interpolate(x.transpose(1, 2), scale_factor=0.5, mode="nearest").transpose(1, 2)


def _conv_stack(in_dim: int, dim: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv1d(in_dim, dim, 3, 1, 1, bias=False), nn.BatchNorm1d(dim), nn.GELU(),
                         nn.Conv1d(dim, dim, 3, 1, 1, bias=False))


class PosteriorEncoder(nn.Module):
    def __init__(self, cfg: Audio2MotionConfig):
        super().__init__()
        s = cfg.stride
        self.stride, self.latent = s, cfg.latent
        self.pre_net = nn.Sequential(nn.Conv1d(cfg.in_out_dim, cfg.hidden, 2 * s, s, s // 2))
        self.wn = WaveNet(cfg.hidden, cfg.kernel_size, 1, cfg.enc_layers, cfg.feat_dim)
        self.out_proj = nn.Conv1d(cfg.hidden, 2 * cfg.latent, 1)

    def forward(self, x, mask, g_sqz, generator=None):
        h = self.pre_net(x)
        mask = mask[:, :, ::self.stride][:, :, :h.shape[-1]]
        h = self.wn(h * mask, mask, g_sqz) * mask
        m, logs = self.out_proj(h).split(self.latent, dim=1)
        noise = torch.randn(m.shape, generator=generator, device=m.device, dtype=m.dtype)
        return m + noise * logs.exp(), m, logs, mask


class MotionDecoder(nn.Module):
    def __init__(self, cfg: Audio2MotionConfig):
        super().__init__()
        s = cfg.stride
        self.pre_net = nn.Sequential(nn.ConvTranspose1d(cfg.latent, cfg.hidden, s, s))
        self.wn = WaveNet(cfg.hidden, cfg.kernel_size, 1, cfg.dec_layers, cfg.feat_dim)
        self.out_proj = nn.Conv1d(cfg.hidden, cfg.in_out_dim, 1)

    def forward(self, z, mask, g):
        h = self.pre_net(z) * mask
        return self.out_proj(self.wn(h, mask, g) * mask)


class FlowPriorVAE(nn.Module):
    """`vae.*`: g_pre_net, encoder, prior_flow, decoder. Tensors are channel-first (B, C, T) inside."""

    def __init__(self, cfg: Audio2MotionConfig):
        super().__init__()
        s = cfg.stride
        self.latent = cfg.latent
        self.g_pre_net = nn.Sequential(nn.Conv1d(cfg.feat_dim, cfg.feat_dim, 2 * s, s, s // 2))
        self.encoder = PosteriorEncoder(cfg)
        self.prior_flow = (CouplingFlow(cfg.latent, cfg.flow_hidden, cfg.flow_kernel_size, 1, cfg.flow_layers,
                                        cfg.flow_blocks, cfg.feat_dim) if cfg.use_prior_flow else None)
        self.decoder = MotionDecoder(cfg)

    def reconstruct(self, x, mask, g, generator=None):
        """Training pass: x (B, 64, T), mask (B, 1, T), g (B, 128, T) -> (x_recon, kl, z_p)."""
        g_sqz = self.g_pre_net(g)
        z_q, m_q, logs_q, mask_sqz = self.encoder(x, mask, g_sqz, generator)
        x_recon = self.decoder(z_q, mask, g)
        log_q = -0.5 * ((z_q - m_q) / logs_q.exp()) ** 2 - logs_q - 0.5 * math.log(2 * math.pi)
        if self.prior_flow is not None:
            z_p = self.prior_flow(z_q, mask_sqz, g_sqz)
            log_p = -0.5 * z_p ** 2 - 0.5 * math.log(2 * math.pi)
            kl = ((log_q - log_p) * mask_sqz).sum() / mask_sqz.sum() / z_q.shape[1]
        else:  # closed-form KL(q || N(0, 1))
            z_p = z_q
            kl_el = -logs_q + 0.5 * (logs_q.exp() ** 2 + m_q ** 2) - 0.5
            kl = (kl_el * mask_sqz).sum() / mask_sqz.sum() / z_q.shape[1]
        return x_recon, kl, z_p

    def sample(self, g, temperature: float = 1.0, generator=None, noise: torch.Tensor | None = None):
        """Inference: g (B, 128, T) -> (x (B, 64, T), z_p (B, 16, T/4))."""
        g_sqz = self.g_pre_net(g)
        shape = (g_sqz.shape[0], self.latent, g_sqz.shape[2])
        if noise is None:
            noise = torch.randn(shape, generator=generator, device=g.device, dtype=g.dtype)
        z = noise * temperature
        if self.prior_flow is not None:
            z = self.prior_flow(z, 1, g_sqz, reverse=True)
        return self.decoder(z, 1, g), z


class Audio2MotionVAE(nn.Module):
    """The released A2M network (`PitchContourVAEModel` with the default config, `VAEModel` with use_pitch=False)."""

    def __init__(self, config: Audio2MotionConfig | None = None):
        super().__init__()
        self.config = cfg = config or Audio2MotionConfig()
        d = cfg.feat_dim
        if cfg.use_mouth_amp_embed and cfg.use_pitch:
            self.mouth_amp_embed = nn.Parameter(torch.randn(d))
        if cfg.use_eye_amp_embed and cfg.use_pitch:
            self.eye_amp_embed = nn.Parameter(torch.randn(d))
        self.blink_embed = nn.Embedding(2, d)
        self.mel_encoder = _conv_stack(cfg.audio_in_dim, d)
        if cfg.use_pitch:
            self.pitch_embed = nn.Embedding(cfg.pitch_bins, d)
            nn.init.normal_(self.pitch_embed.weight, 0.0, d ** -0.5)
            self.pitch_encoder = _conv_stack(d, d)
            n_cond = 3 + int(cfg.use_mouth_amp_embed) + int(cfg.use_eye_amp_embed)
            self.cond_proj = nn.Linear(n_cond * d, d)
        self.vae = FlowPriorVAE(cfg)

    def condition(self, audio: torch.Tensor, f0: torch.Tensor | None = None, blink: torch.Tensor | None = None,
                  mouth_amp: torch.Tensor | float | None = None, eye_amp: torch.Tensor | float | None = None) -> torch.Tensor:
        """audio (B, T50, C) HuBERT, f0 (B, T50) Hz, blink (B, T25) in {0,1} -> g (B, T25, feat)."""
        cfg = self.config
        feat = self.mel_encoder(_half_rate(audio).transpose(1, 2)).transpose(1, 2)
        if not cfg.use_pitch:  # VAEModel: HuBERT features only
            return feat
        if f0 is None:
            raise ValueError("the pitch-conditioned A2M needs f0 (B, T50) in Hz (0 for unvoiced frames)")
        b, t = feat.shape[:2]
        coarse = f0_to_coarse(_half_rate(f0[..., None])[..., 0], cfg.f0_bin, cfg.f0_min, cfg.f0_max)
        pitch = self.pitch_encoder(self.pitch_embed(coarse).transpose(1, 2)).transpose(1, 2)
        if blink is None:
            blink = torch.zeros(b, t, dtype=torch.long, device=feat.device)
        feats = [feat, pitch, self.blink_embed(blink.long().view(b, t))]
        for used, name in ((cfg.use_mouth_amp_embed, "mouth_amp_embed"), (cfg.use_eye_amp_embed, "eye_amp_embed")):
            if used:
                amp = mouth_amp if name == "mouth_amp_embed" else eye_amp
                amp = torch.as_tensor(cfg.default_mouth_amp if amp is None else amp, dtype=feat.dtype, device=feat.device)
                amp = amp.reshape(-1, 1, 1).expand(b, 1, 1)
                feats.append((amp * getattr(self, name)).expand(b, t, -1))
        return self.cond_proj(torch.cat(feats, dim=-1))

    def forward(self, exp: torch.Tensor, mask: torch.Tensor, audio: torch.Tensor, f0: torch.Tensor | None = None,
                blink=None, mouth_amp=None, generator: torch.Generator | None = None):
        """Training pass: exp (B, T25, 64), mask (B, T25) -> (recon (B, T25, 64), kl, z_p)."""
        g = self.condition(audio, f0, blink, mouth_amp).transpose(1, 2)
        m = mask[:, None].to(g.dtype)
        x_recon, kl, z_p = self.vae.reconstruct(exp.transpose(1, 2), m, g, generator)
        return x_recon.transpose(1, 2) * mask[..., None], kl, z_p.transpose(1, 2)

    def infer(self, audio: torch.Tensor, f0: torch.Tensor | None = None, mask: torch.Tensor | None = None, blink=None,
              mouth_amp=None, temperature: float | None = None, generator: torch.Generator | None = None,
              noise: torch.Tensor | None = None) -> torch.Tensor:
        """HuBERT (B, T50, C) [+ f0 (B, T50)] -> expression coefficients (B, T50/2, 64).

        T50 must be a multiple of 2·stride (the released script pads HuBERT to a multiple of 8).
        """
        t50 = audio.shape[1]
        if t50 % (2 * self.config.stride):
            raise ValueError(f"audio length {t50} must be a multiple of {2 * self.config.stride} (pad with pad_audio_features)")
        g = self.condition(audio, f0, blink, mouth_amp).transpose(1, 2)
        temp = self.config.temperature if temperature is None else temperature
        x, _ = self.vae.sample(g, temp, generator, noise)
        x = x.transpose(1, 2)
        return x if mask is None else x * mask[..., None]


def pad_audio_features(audio: torch.Tensor, f0: torch.Tensor | None = None, multiple: int = 8, fill: str = "repeat"):
    """Pad HuBERT (B, T, C) and f0 (B, T) at the end to a multiple of `multiple` frames, HuBERT by repeating its last
    frame (fill="repeat") or with zero frames (fill="zero", what the released inference script does), f0 with
    unvoiced (0) pitch; returns (audio, f0, n_valid_25hz_frames)."""
    if fill not in ("repeat", "zero"):
        raise ValueError(f"fill must be 'repeat' or 'zero', got {fill!r}")
    t = audio.shape[1]
    pad = (-t) % multiple
    if pad:
        tail = audio[:, -1:].expand(-1, pad, -1) if fill == "repeat" else audio.new_zeros(audio.shape[0], pad, audio.shape[2])
        audio = torch.cat([audio, tail], dim=1)
        if f0 is not None:
            f0 = torch.cat([f0, f0.new_zeros(f0.shape[0], pad)], dim=1)
    return audio, f0, (t + 1) // 2


def load_audio2motion(path, sha256: str | None = None, config: Audio2MotionConfig | None = None,
                      device: str | torch.device = "cpu") -> Audio2MotionVAE:
    """The released `audio2secc_vae` checkpoint (a file or its folder; `ckpt['state_dict']['model']`), loaded strictly."""
    model = Audio2MotionVAE(config)
    model.load_state_dict(load_model_state(path, sha256, child="model"), strict=True)
    return model.eval().to(device)
