"""GOHA's stage-2 network in the released `Model` layout (1144 state_dict keys, 116,124,669 parameters).

Branches (seed-models.md §3):
* canonical: `template_net` (SegFormer-b0) on the ImageNet-normalised source × parsing mask (brows, eyes
  dilated twice 7×7, mouth and lips removed) -> `embedding2neutral` -> canonical tri-plane;
* expression: `expr_net` on the pseudo-3DMM render (source identity, driving expression, canonical pose)
  -> `embedding2expr` -> expression tri-plane (added); `expr_upsampler` is built but unused (as released);
* appearance: render canonical + expression at the source camera (R = 128, depth + 32-ch features),
  lift `id_net` features of [source blended with the canonical render where the parsing says so,
  canonical render] (6 channels) onto the planes (lifting.py) -> `id_upsampler` -> added;
* render the sum at the target camera (224², 48 + 48 samples, rays 2.25–3.3, fixed plane axes), OSG
  decoder; SR = GFPGANv1Clean on the raw 224 RGB bilinearly resized (align_corners=True) to 512.
The BiSeNet face parser (`face_parsing_net`) is part of the checkpoint. Buffers: `cano_pose`,
`cano_exemplar` (the 512² exemplar whose 3DMM pose is the canonical pose; zeros in a random init),
`image_mean`/`image_std` (ImageNet), `uv` (the lifting grid).
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from ...nets.bisenet import BiSeNet, normalise_for_parsing
from ..components.gfpgan import GFPGANConfig, GFPGANv1Clean
from ..components.osg_decoder import OSGDecoder
from ..components.renderer import ImportanceRenderer, RenderOptions, render_feature_image
from ..components.segformer import SegFormerFeatures
from .config import CANO_POSE, GOHAConfig
from .lifting import depth_to_points, rasterize_to_planes, uv_grid
from .networks import Embed2Plane, IDUpsampler

#: BiSeNet labels after GOHA drops the eyeglasses channel (6) and the last (hat) from the argmax:
#: brows (2, 3), eyes (4, 5: dilated twice), mouth (10 = original 11) and lips (11, 12 = original 12, 13)
MASKED_LABELS = (2, 3, 4, 5, 10, 11, 12)
DILATED_LABELS = (4, 5)
EYEGLASSES = 6
MORPH_KERNEL = 7


def dilate(mask: torch.Tensor, kernel: int = MORPH_KERNEL) -> torch.Tensor:
    """Binary dilation with a k×k square (kornia `dilation` with a ones kernel)."""
    return F.max_pool2d(mask.float(), kernel, stride=1, padding=kernel // 2)


def erode(mask: torch.Tensor, kernel: int = MORPH_KERNEL) -> torch.Tensor:
    """Binary erosion with a k×k square; outside the image does not erode (kornia's geodesic border)."""
    return -F.max_pool2d(-mask.float(), kernel, stride=1, padding=kernel // 2)


class GFPUpsampler(nn.Module):
    """`neural_layers`: raw render -> bilinear (align_corners=True) to the SR size -> GFPGANv1Clean."""

    def __init__(self, config: GFPGANConfig | None = None):
        super().__init__()
        self.gfpgan = GFPGANv1Clean(config)
        self.size = self.gfpgan.config.out_size

    def forward(self, rgb: torch.Tensor, noise_mode: str = "stored", generator: torch.Generator | None = None):
        x = F.interpolate(rgb, size=(self.size, self.size), mode="bilinear", align_corners=True)
        return self.gfpgan(x, noise_mode=noise_mode, generator=generator)


class GOHANetwork(nn.Module):
    def __init__(self, config: GOHAConfig | None = None):
        super().__init__()
        self.config = cfg = config or GOHAConfig()
        cfg.validate()
        plane_dim = 3 * cfg.plane_channels
        self.register_buffer("cano_pose", torch.tensor([CANO_POSE], dtype=torch.float32))
        self.register_buffer("cano_exemplar", torch.zeros(1, 3, 512, 512))
        self.register_buffer("image_mean", torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1))
        self.register_buffer("image_std", torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1))
        self.register_buffer("uv", uv_grid(cfg.lifting_resolution))
        self.template_net = SegFormerFeatures(3)
        self.embedding2neutral = Embed2Plane(cfg.segformer_channels, plane_dim)
        self.id_net = SegFormerFeatures(6)
        self.id_upsampler = IDUpsampler(cfg.segformer_channels, cfg.plane_channels)
        self.expr_net = SegFormerFeatures(3)
        self.embedding2expr = Embed2Plane(cfg.segformer_channels, plane_dim)
        self.expr_upsampler = IDUpsampler(plane_dim, cfg.plane_channels)  # built but unused, as released
        self.decoder = OSGDecoder(cfg.plane_channels, 64, cfg.plane_channels)
        self.renderer = ImportanceRenderer(RenderOptions(
            depth_resolution=cfg.num_samples_coarse, depth_resolution_importance=cfg.num_samples_fine,
            ray_start=cfg.ray_start, ray_end=cfg.ray_end, box_warp=cfg.box_warp, plane_convention=cfg.plane_convention))
        self.face_parsing_net = BiSeNet(cfg.parsing_classes)
        self.neural_layers = GFPUpsampler(GFPGANConfig(out_size=cfg.sr_resolution, narrow=cfg.sr_narrow))

    # --- inputs -------------------------------------------------------------------------------------
    def normalise(self, images: torch.Tensor) -> torch.Tensor:
        """[-1, 1] RGB -> ImageNet-normalised, as the SegFormer branches take it."""
        return ((images + 1) / 2 - self.image_mean) / self.image_std

    def parsing_mask(self, images: torch.Tensor) -> torch.Tensor:
        """(B, 1, H, W) 1 on brows, (dilated) eyes, mouth and lips; images in [-1, 1]."""
        logits = self.face_parsing_net(normalise_for_parsing(images))[0]
        logits = torch.cat((logits[:, :EYEGLASSES], logits[:, EYEGLASSES + 1:]), dim=1)
        labels = logits[:, :-1].argmax(dim=1, keepdim=True)
        mask = torch.zeros_like(labels, dtype=torch.float32)
        for label in MASKED_LABELS:
            part = (labels == label).float()
            if label in DILATED_LABELS:
                part = dilate(dilate(part))
            mask = torch.maximum(mask, (part > 0).float())
        return mask

    # --- branches -----------------------------------------------------------------------------------
    def canonical_plane(self, source: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
        """source (B, 3, S, S) in [-1, 1], keep = 1 - parsing mask -> (B, 3, 32, P, P)."""
        return self.embedding2neutral(self.template_net(self.normalise(source) * keep))

    def expression_plane(self, pseudo_3dmm: torch.Tensor) -> torch.Tensor:
        """pseudo-3DMM render (B, 3, S, S) in [-1, 1] -> (B, 3, 32, P, P)."""
        return self.embedding2expr(self.expr_net(self.normalise(pseudo_3dmm)))

    def render(self, planes: torch.Tensor, camera: torch.Tensor, resolution: int | None = None,
               generator: torch.Generator | None = None) -> dict:
        out = render_feature_image(self.renderer, self.decoder, planes, camera,
                                   resolution or self.config.render_resolution, generator)
        out["rgb_raw"] = out["features"][:, :3]
        return out

    def appearance_plane(self, source: torch.Tensor, camera: torch.Tensor, base_plane: torch.Tensor,
                         keep: torch.Tensor, generator: torch.Generator | None = None) -> dict:
        """Lift id_net features of the source onto the planes using the depth of `base_plane` rendered at
        the source camera. Returns {'planes', 'points', 'canonical_render', 'blend_mask'}."""
        cfg = self.config
        b = camera.shape[0]
        cano = self.render(base_plane, camera, cfg.lifting_resolution, generator)
        depth = F.interpolate(cano["depth"], size=(cfg.lifting_resolution,) * 2, mode="bilinear", align_corners=False)
        points = depth_to_points(camera[:, :16].view(b, 4, 4), camera[:, 16:25].view(b, 3, 3), depth)
        cano_rgb = F.interpolate(cano["rgb_raw"], size=source.shape[-2:], mode="bilinear", align_corners=False)
        blend = erode((1 - self.parsing_mask(cano_rgb)) * keep)
        cano_n = self.normalise(cano_rgb)
        inputs = torch.cat((self.normalise(source) * blend + cano_n * (1 - blend), cano_n), dim=1)
        lifted = rasterize_to_planes(points, self.id_net(inputs), self.uv, cfg.box_warp, cfg.plane_convention)
        return {"planes": self.id_upsampler(lifted), "points": points, "canonical_render": cano_rgb,
                "blend_mask": blend}

    def super_resolve(self, rgb_raw: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        return self.neural_layers(rgb_raw, self.config.sr_noise_mode, generator)[0]

    def forward(self, source: torch.Tensor, source_camera: torch.Tensor, pseudo_3dmm: torch.Tensor,
                target_camera: torch.Tensor, generator: torch.Generator | None = None) -> dict:
        """The released `full_rec_tar` inference: canonical + expression(target) plane, appearance lifted
        with that plane at the source camera, rendered at the target camera, super-resolved."""
        keep = 1 - self.parsing_mask(source)
        plane = self.canonical_plane(source, keep) + self.expression_plane(pseudo_3dmm)
        plane = plane + self.appearance_plane(source, source_camera, plane, keep, generator)["planes"]
        out = self.render(plane, target_camera, generator=generator)
        out["image"] = self.super_resolve(out["rgb_raw"], generator)
        return out
