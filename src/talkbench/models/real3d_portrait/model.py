"""The full secc2plane-torso network (`OSAvatarSECC_Img2plane_Torso` layout, 1030 state_dict keys).

canonical plane = I2P(head-segmented source); plane = canonical + MA(PNCC cano|src|tgt);
render 32-ch features at 128² with the EG3D importance renderer (auto near/far, original plane axes);
HTB-SR composes head, warped torso and background into the 512² frame.
"""
from __future__ import annotations

import torch
import torch.nn as nn

from ..components.osg_decoder import OSGDecoder
from ..components.rays import sample_rays
from ..components.renderer import ImportanceRenderer, RenderOptions
from .config import Real3DPortraitConfig
from .htbsr import HTBSuperResolution
from .img2plane import Img2PlaneModel
from .motion_adapter import SegFormerSECC2PlaneBackbone


class Real3DPortraitNetwork(nn.Module):
    def __init__(self, config: Real3DPortraitConfig | None = None):
        super().__init__()
        self.config = cfg = config or Real3DPortraitConfig()
        cfg.validate()
        self.cano_img2plane_backbone = Img2PlaneModel(cfg.i2p_input_channels, cfg.plane_channels,
                                                      cfg.i2p_vit_blocks, cfg.i2p_predictor_blocks)
        self.secc_img2plane_backbone = SegFormerSECC2PlaneBackbone(cfg.secc_segformer_scale, cfg.plane_channels,
                                                                   cfg.pncc_channels)
        self.decoder = OSGDecoder(cfg.triplane_hid_dim, 64, cfg.triplane_hid_dim)
        self.superresolution = HTBSuperResolution(cfg.triplane_hid_dim, cfg.w_dim, cfg.htbsr_head_threshold,
                                                  cfg.sr_antialias, 5 if cfg.torso_inp_mode == "rgb_alpha" else 3,
                                                  cfg.torso_kp_num)
        # training-time auto-tuned loss weights, kept so the released state_dict loads strictly
        self.lambda_pertube_blink_secc = nn.Parameter(torch.zeros(1), requires_grad=False)
        self.lambda_pertube_secc = nn.Parameter(torch.zeros(1), requires_grad=False)
        self.renderer = ImportanceRenderer(RenderOptions(
            depth_resolution=cfg.num_samples_coarse, depth_resolution_importance=cfg.num_samples_fine,
            ray_start=cfg.ray_near, ray_end=cfg.ray_far, box_warp=cfg.box_warp,
            plane_convention=cfg.plane_convention))

    def canonical_planes(self, source: torch.Tensor) -> torch.Tensor:
        """source (B, 3, H, W) in [-1, 1], background/torso blacked out -> (B, 3, 32, H/2, W/2)."""
        return self.cano_img2plane_backbone(source)

    def motion_planes(self, cano_planes: torch.Tensor, pncc: torch.Tensor) -> torch.Tensor:
        return cano_planes + self.secc_img2plane_backbone(pncc)

    def render(self, planes: torch.Tensor, camera: torch.Tensor, resolution: int | None = None,
               generator: torch.Generator | None = None) -> dict:
        """camera (B, 25) EG3D labels -> feature image (B, 32, R, R), raw rgb, depth, opacity."""
        res = resolution or self.config.neural_rendering_resolution
        b = camera.shape[0]
        origins, dirs = sample_rays(camera[:, :16].view(b, 4, 4), camera[:, 16:25].view(b, 3, 3), res)
        feats, depth, weights, valid = self.renderer(planes, self.decoder, origins, dirs, generator)
        to_img = lambda t: t.permute(0, 2, 1).reshape(b, t.shape[-1], res, res)  # noqa: E731
        feat_img = to_img(feats)
        return {"features": feat_img, "rgb_raw": feat_img[:, :3], "depth": to_img(depth), "weights": to_img(weights)}

    def synthesize(self, planes, camera, ref_torso_rgb, ref_bg_rgb, segmap, kp_s, kp_d,
                   resolution: int | None = None, generator: torch.Generator | None = None) -> dict:
        out = self.render(planes, camera, resolution, generator)
        ws = torch.ones(camera.shape[0], self.config.num_ws, self.config.w_dim, device=camera.device)
        image, torso = self.superresolution(out["rgb_raw"], out["features"], ws, ref_torso_rgb, ref_bg_rgb,
                                            out["weights"], segmap, kp_s, kp_d, noise_mode=self.config.sr_noise_mode)
        out["image"] = image
        out["torso_alpha"] = torso["occlusion_2"]
        return out

    def forward(self, source, pncc, camera, ref_torso_rgb, ref_bg_rgb, segmap, kp_s, kp_d,
                resolution: int | None = None, generator: torch.Generator | None = None) -> dict:
        planes = self.motion_planes(self.canonical_planes(source), pncc)
        return self.synthesize(planes, camera, ref_torso_rgb, ref_bg_rgb, segmap, kp_s, kp_d, resolution, generator)
