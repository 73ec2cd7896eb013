"""Talk3D's rendering path: identity tri-plane + predicted delta-plane -> fixed-axis EG3D rendering -> SR.

    tokens (B, 5, 64) ─┐
    identity planes ───┴> DeltaplanePredictor ─> delta (B, 96, 256, 256); planes = identity + delta
    planes ─> EG3D renderer (fixed plane axes, 48+48 samples, rays 2.25–3.3) at 128² ─> raw RGB + 32 features
    ─> SR: EG3D SuperresolutionHybrid8XDC styled by the person's w (the paper's tables, Appendix B)
           or GFPGANv1Clean on the bilinearly 4× upsampled raw RGB (`--use_GFPGAN`, `enhance_trainable`)
    ─> 512² frame in [-1, 1]

The identity comes from a personalised generator (VIVE3D's `G_tune.pkl`) and the person's latent
(`inversion_w_person.pt`): `planes = G.backbone.synthesis(w.repeat(14), noise_mode='const')`, which the
release caches as `ID_triplane.pt`. Cameras follow the VIVE3D recipe (components/cameras.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..components.eg3d import EG3DConfig, TriPlaneGenerator
from .config import Talk3DConfig
from .networks import Talk3DNetworks

SUPERRESOLUTIONS = ("eg3d", "gfpgan")


def generator_config(cfg: Talk3DConfig) -> EG3DConfig:
    """The EG3D generator Talk3D renders with (`ffhq-fixed-triplane512-128.pkl` settings), sized by cfg."""
    base = EG3DConfig(plane_convention="fixed", neural_rendering_resolution=cfg.neural_rendering_resolution,
                      depth_resolution=cfg.num_samples_coarse, depth_resolution_importance=cfg.num_samples_fine)
    if cfg.plane_resolution == 256:
        return base
    from dataclasses import replace

    return replace(base, plane_resolution=cfg.plane_resolution, plane_features=cfg.plane_channels, channel_base=1024, channel_max=32,
                   superresolution="hybrid2x", sr_conv_clamp=None)


@dataclass
class Identity:
    """The person: tri-plane (1, 96, R, R) and latent ws (1, num_ws, 512) (the SR's style)."""

    planes: torch.Tensor
    ws: torch.Tensor | None
    source: str = ""

    @classmethod
    def from_generator(cls, generator: TriPlaneGenerator, w: torch.Tensor, source: str = "") -> "Identity":
        w = w.reshape(1, -1, w.shape[-1])[:, :1].expand(1, generator.num_ws, -1).contiguous()
        with torch.no_grad():
            planes = generator.planes(w, noise_mode="const")
        return cls(planes, w, source)

    @classmethod
    def from_files(cls, triplane: str | Path, w: str | Path | None = None, num_ws: int = 14) -> "Identity":
        """`ID_triplane.pt` (a tensor (N, 96, 256, 256), the release saves N = 16 copies) and optionally
        `inversion_w_person.pt` ((14, 512) or (1, 512))."""
        from ...errors import InputError

        planes = torch.load(triplane, map_location="cpu", weights_only=True)
        if not isinstance(planes, torch.Tensor) or planes.ndim != 4 or planes.shape[1] % 3:
            raise InputError(triplane, f"expected a tri-plane tensor (N, 96, H, W), got {getattr(planes, 'shape', type(planes))}",
                             "pass the ID_triplane.pt Talk3D's trainer writes")
        ws = None
        if w is not None:
            wt = torch.load(w, map_location="cpu", weights_only=True)
            ws = wt.reshape(1, -1, wt.shape[-1])[:, :1].expand(1, num_ws, -1).contiguous()
        return cls(planes[:1].float(), ws, Path(triplane).name)


class Talk3DModel(nn.Module):
    """The trainable networks plus the frozen generator (decoder, renderer, EG3D SR) and optional GFPGAN."""

    def __init__(self, config: Talk3DConfig | None = None, generator: TriPlaneGenerator | None = None,
                 gfpgan: nn.Module | None = None):
        super().__init__()
        self.config = cfg = config or Talk3DConfig()
        if cfg.superresolution not in SUPERRESOLUTIONS:
            raise ValueError(f"superresolution must be one of {SUPERRESOLUTIONS}, got {cfg.superresolution!r}")
        self.networks = Talk3DNetworks(cfg)
        self.generator = (generator or TriPlaneGenerator(generator_config(cfg))).requires_grad_(False).eval()
        self.gfpgan = gfpgan

    def delta_planes(self, identity: Identity, tokens: torch.Tensor) -> torch.Tensor:
        return self.networks(identity.planes.expand(tokens.shape[0], -1, -1, -1), tokens)

    def render(self, identity: Identity, tokens: torch.Tensor, labels: torch.Tensor,
               generator: torch.Generator | None = None, superresolution: bool = True) -> dict[str, torch.Tensor]:
        """tokens (B, 5, 64), camera labels (B, 25) -> {'image' (B, 3, 512, 512) when SR, 'image_raw', ...}."""
        planes = identity.planes + self.delta_planes(identity, tokens)
        use_eg3d_sr = superresolution and self.config.superresolution == "eg3d"
        ws = identity.ws
        if use_eg3d_sr and ws is None:
            from ...errors import InputError

            raise InputError(None, "the EG3D super-resolution needs the person's latent w",
                             "pass --model-option w_person=inversion_w_person.pt, or superresolution=gfpgan")
        ws = ws.expand(tokens.shape[0], -1, -1) if ws is not None else None
        out = self.generator.render(planes, ws, labels, generator=generator, superresolution=use_eg3d_sr)
        if superresolution and self.config.superresolution == "gfpgan":
            if self.gfpgan is None:
                raise ValueError("superresolution='gfpgan' needs the GFPGANv1Clean network")
            size = self.gfpgan.config.out_size
            up = F.interpolate(out["image_raw"], size=(size, size), mode="bilinear", align_corners=False)
            out["image"] = self.gfpgan(up, return_rgb=False)[0]
        return out


def random_generator(cfg: Talk3DConfig, seed: int) -> TriPlaneGenerator:
    """A randomly initialised EG3D generator, reproducible from (cfg, seed): pipeline tests and tiny fits."""
    torch.manual_seed(seed)
    return TriPlaneGenerator(generator_config(cfg)).eval()


def random_identity(generator: TriPlaneGenerator, seed: int) -> Identity:
    from ..components.cameras import camera_from_angles, camera_to_label

    z = torch.randn(1, generator.config.z_dim, generator=torch.Generator().manual_seed(seed))
    c = torch.as_tensor(camera_to_label(camera_from_angles(0.0, 0.0)), dtype=torch.float32)[None]
    with torch.no_grad():
        w = generator.mapping(z, c)[:, :1]
    return Identity.from_generator(generator, w, f"random z (seed {seed})")
