"""The LP3D network: image-to-plane lifting (Real3D-Portrait's I2P module, shared), EG3D OSG decoder,
importance renderer and, optionally, EG3D's 128 -> 512 super-resolution.

image (B, 3, S, S) in [-1, 1] -> canonical tri-plane (B, 3, C, S/2, S/2) -> render at any camera.
The super-resolution gets constant all-ones w, as Real3D-Portrait's does (its styles come from the
affine layers' biases), so it needs no mapping network.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
import torch.nn as nn

from ..base import Camera
from ..components.osg_decoder import OSGDecoder
from ..components.rays import sample_rays
from ..components.renderer import ImportanceRenderer, RenderOptions
from ..components.stylegan2 import SuperresolutionHybrid8XDC
from ..real3d_portrait.img2plane import Img2PlaneModel
from .config import LP3DConfig

#: camera recipes already in the EG3D frame (radius ≈ 2.7 around the head); others are rescaled
EG3D_FRAME_RECIPES = ("eg3d-ffhq", "goha", "real3d", "otavatar")


def camera_tensors(cameras: Sequence[Camera], radius: float | None) -> tuple[torch.Tensor, torch.Tensor]:
    """(N, 4, 4) cam2world and (N, 3, 3) normalised intrinsics in the model's frame: cameras of a dataset
    (recipe `opencv`) are scaled about the world origin so that they sit `radius` from it; EG3D-recipe
    cameras are used as given."""
    c2w, ks = [], []
    for cam in cameras:
        m = np.array(cam.cam2world, dtype=np.float64)
        if radius is not None and cam.recipe not in EG3D_FRAME_RECIPES:
            d = np.linalg.norm(m[:3, 3])
            if d > 0:
                m[:3, 3] *= radius / d
        c2w.append(m)
        ks.append(np.asarray(cam.intrinsics, dtype=np.float64))
    return torch.tensor(np.stack(c2w), dtype=torch.float32), torch.tensor(np.stack(ks), dtype=torch.float32)


class LP3DNetwork(nn.Module):
    def __init__(self, config: LP3DConfig | None = None):
        super().__init__()
        self.config = cfg = config or LP3DConfig()
        self.img2plane = Img2PlaneModel(5, cfg.plane_channels, cfg.i2p_vit_blocks, cfg.i2p_predictor_blocks, cfg.widths)
        self.decoder = OSGDecoder(cfg.plane_features, cfg.decoder_hidden, cfg.plane_features)
        self.superresolution = (SuperresolutionHybrid8XDC(cfg.plane_features, cfg.w_dim, cfg.neural_rendering_resolution,
                                                          cfg.sr_antialias) if cfg.super_resolution else None)
        self.renderer = ImportanceRenderer(RenderOptions(
            depth_resolution=cfg.num_samples_coarse, depth_resolution_importance=cfg.num_samples_fine,
            ray_start=cfg.ray_near, ray_end=cfg.ray_far, box_warp=cfg.box_warp, plane_convention=cfg.plane_convention,
            white_back=cfg.white_back))

    def lift(self, image: torch.Tensor) -> torch.Tensor:
        """(B, 3, S, S) in [-1, 1] -> tri-plane (B, 3, C, S/2, S/2)."""
        return self.img2plane(image)

    def render(self, planes: torch.Tensor, cam2world: torch.Tensor, intrinsics: torch.Tensor,
               generator: torch.Generator | None = None, resolution: int | None = None) -> dict:
        """planes (B, 3, C, h, w), one camera per plane set -> image (B, 3, R', R') in [-1, 1] (512² with SR,
        else the raw RGB at the rendering resolution), raw RGB, features, depth and opacity at R."""
        res = resolution or self.config.neural_rendering_resolution
        b = planes.shape[0]
        origins, dirs = sample_rays(cam2world, intrinsics, res)
        feats, depth, weights, _ = self.renderer(planes, self.decoder, origins, dirs, generator)
        to_img = lambda t: t.permute(0, 2, 1).reshape(b, t.shape[-1], res, res)  # noqa: E731
        feat_img = to_img(feats)
        out = {"features": feat_img, "rgb_raw": feat_img[:, :3], "depth": to_img(depth), "weights": to_img(weights)}
        if self.superresolution is not None:
            ws = torch.ones(b, 1, self.config.w_dim, device=planes.device)
            out["image"] = self.superresolution(out["rgb_raw"], feat_img, ws, noise_mode=self.config.sr_noise_mode)
        else:
            out["image"] = out["rgb_raw"]
        return out
