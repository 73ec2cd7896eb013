"""The Export3D network: expression encoder (CLeBS / E2E LeBS / Direct) -> hybrid tri-plane generator
-> OSG decoder + EG3D importance renderer at H/4 with the driving camera -> conv super-resolution."""
from __future__ import annotations

import torch
import torch.nn as nn

from ..components.osg_decoder import OSGDecoder
from ..components.rays import sample_rays
from ..components.renderer import ImportanceRenderer, RenderOptions
from .clebs import build_expression_encoder
from .config import Export3DConfig
from .generator import TriplaneGenerator
from .superres import ConvSuperResolution


class Export3DNetwork(nn.Module):
    def __init__(self, cfg: Export3DConfig | None = None):
        super().__init__()
        self.cfg = cfg = cfg or Export3DConfig()
        self.expression_encoder = build_expression_encoder(cfg)
        self.generator = TriplaneGenerator(cfg)
        self.decoder = OSGDecoder(cfg.triplane_channels, cfg.decoder_hidden, cfg.triplane_channels)
        self.superresolution = ConvSuperResolution(cfg.triplane_channels, cfg.sr_channels)
        self.renderer = ImportanceRenderer(RenderOptions(
            depth_resolution=cfg.num_samples_coarse, depth_resolution_importance=cfg.num_samples_fine,
            ray_start=cfg.ray_start, ray_end=cfg.ray_end, box_warp=cfg.box_warp, plane_convention=cfg.plane_convention))

    def encode_expression(self, expression: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """β (B, 64) -> β' (B, d) and, for cross-attention, the expression tokens (B, n, d)."""
        enc = self.expression_encoder
        tokens = enc.components(expression) if self.cfg.conditioning == "cross_attention" else None
        return enc(expression), tokens

    def triplane(self, source: torch.Tensor, expression: torch.Tensor, update_ema: bool = False) -> torch.Tensor:
        cond, tokens = self.encode_expression(expression)
        return self.generator(source, cond, tokens, update_ema=update_ema)

    def render(self, planes: torch.Tensor, camera: torch.Tensor, generator: torch.Generator | None = None) -> dict:
        """planes, camera (B, 25) EG3D labels -> raw rgb (B, 3, R, R), features, depth, opacity, final image."""
        res = self.cfg.neural_rendering_resolution
        b = camera.shape[0]
        origins, dirs = sample_rays(camera[:, :16].reshape(b, 4, 4), camera[:, 16:25].reshape(b, 3, 3), res)
        feats, depth, opacity, _ = self.renderer(planes, self.decoder, origins, dirs, generator)
        to_img = lambda t: t.permute(0, 2, 1).reshape(b, t.shape[-1], res, res)  # noqa: E731
        features = to_img(feats)
        rgb_raw = features[:, :3]
        return {"features": features, "rgb_raw": rgb_raw, "depth": to_img(depth), "opacity": to_img(opacity),
                "image": self.superresolution(rgb_raw, features)}

    def forward(self, source: torch.Tensor, expression: torch.Tensor, camera: torch.Tensor,
                generator: torch.Generator | None = None, update_ema: bool = False) -> dict:
        planes = self.triplane(source, expression, update_ema)
        out = self.render(planes, camera, generator)
        out["planes"] = planes
        return out
