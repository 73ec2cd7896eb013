"""Warp-based torso model (face-vid2vid style, Real3D's `WarpBasedTorsoModelMediaPipe`, v2, 'standard').

The source torso (RGB + body-skin/clothes masks) becomes a 32×16×64×64 feature volume; 4 landmark
keypoints (lm68 indices 0, 8, 16, 27) with identity rotations define sparse motions; a 3-D hourglass
plus the rendered head (RGB + opacity) predict the dense deformation and two occlusion maps; a 2-D
generator decodes the warped volume to `deformed_torso_hid` (64 ch @ 256) and an alpha (`occlusion_2`).
Parameter layout is the official one (BatchNorm in place of SyncBatchNorm: same keys; spectral-norm
convs in the generator keep `weight_orig`/`weight_u`/`weight_v`).
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils import spectral_norm

TORSO_KEYPOINTS = (0, 8, 16, 27)


class ConvBlock(nn.Module):
    """`layers` = ordered Conv (C) / BatchNorm (N) / activation (A) following `pattern`."""

    def __init__(self, pattern: str, in_ch: int, out_ch: int, k: int, stride: int, pad: int, dim: int = 2,
                 spectral: bool = False, lrelu: bool = False):
        super().__init__()
        conv = (nn.Conv2d if dim == 2 else nn.Conv3d)(in_ch, out_ch, k, stride, pad)
        if spectral:
            conv = spectral_norm(conv)
        norm_ch = out_ch if pattern.find("C") < pattern.find("N") else in_ch
        make = {"C": lambda: conv,
                "N": lambda: (nn.BatchNorm2d if dim == 2 else nn.BatchNorm3d)(norm_ch),
                "A": lambda: nn.LeakyReLU(0.2) if lrelu else nn.ReLU()}
        self.layers = nn.Sequential(*[make[c]() for c in pattern])

    def forward(self, x):
        return self.layers(x)


class ResBlock(nn.Module):
    def __init__(self, ch: int, dim: int = 2, spectral: bool = False):
        super().__init__()
        self.layers = nn.Sequential(ConvBlock("NAC", ch, ch, 3, 1, 1, dim, spectral),
                                    ConvBlock("NAC", ch, ch, 3, 1, 1, dim, spectral))

    def forward(self, x):
        return x + self.layers(x)


class DownBlock(nn.Module):
    def __init__(self, in_ch: int, out_ch: int, dim: int = 2):
        super().__init__()
        pool = nn.AvgPool2d((2, 2)) if dim == 2 else nn.AvgPool3d((1, 2, 2))
        self.layers = nn.Sequential(ConvBlock("CNA", in_ch, out_ch, 3, 1, 1, dim), pool)

    def forward(self, x):
        return self.layers(x)


class UpBlock(nn.Module):
    def __init__(self, in_ch: int, out_ch: int, dim: int = 2, spectral: bool = False):
        super().__init__()
        scale = (2, 2) if dim == 2 else (1, 2, 2)
        self.layers = nn.Sequential(nn.Upsample(scale_factor=scale), ConvBlock("CNA", in_ch, out_ch, 3, 1, 1, dim, spectral))

    def forward(self, x):
        return self.layers(x)


def coordinate_grid_3d(d: int, h: int, w: int, device=None) -> torch.Tensor:
    """(d, h, w, 3) grid of (x over w, y over h, z over d) in [-1, 1] (grid_sample order)."""
    z = 2 * torch.arange(d, device=device) / (d - 1) - 1
    y = 2 * torch.arange(h, device=device) / (h - 1) - 1
    x = 2 * torch.arange(w, device=device) / (w - 1) - 1
    zz, yy, xx = torch.meshgrid(z, y, x, indexing="ij")
    return torch.stack([xx, yy, zz], dim=-1).float()


def keypoint_gaussians(kp: torch.Tensor, d: int, h: int, w: int, variance: float = 0.01) -> torch.Tensor:
    grid = coordinate_grid_3d(d, h, w, kp.device)  # (d, h, w, 3)
    diff = grid[None, None] - kp[:, :, None, None, None, :]
    return torch.exp(-0.5 * diff.pow(2).sum(-1) / variance)  # (N, K, d, h, w)


class AppearanceFeatureExtractor(nn.Module):
    def __init__(self, in_dim: int = 5, channels: int = 32, depth: int = 16):
        super().__init__()
        self.C, self.D = channels, depth
        self.in_conv = ConvBlock("CNA", in_dim, 64, 7, 1, 3)
        self.down = nn.Sequential(DownBlock(64, 128), DownBlock(128, 256))
        self.mid_conv = nn.Conv2d(256, channels * depth, 1, 1, 0)
        self.res = nn.Sequential(*[ResBlock(channels, dim=3) for _ in range(6)])

    def forward(self, x):
        x = self.mid_conv(self.down(self.in_conv(x)))
        n, _, h, w = x.shape
        return self.res(x.view(n, self.C, self.D, h, w))


class MotionFieldEstimator(nn.Module):
    def __init__(self, input_channels: int = 34, num_keypoints: int = 4, depth: int = 16):
        super().__init__()
        down = [(num_keypoints + 1) * 5, 64, 128, 256, 512, 1024]
        up = [1024, 512, 256, 128, 64, 32]
        self.D = depth
        self.compress = nn.Conv3d(input_channels, 4, 1, 1, 0)
        self.down = nn.Sequential(*[DownBlock(down[i], down[i + 1], dim=3) for i in range(5)])
        self.up = nn.Sequential(*[UpBlock(up[i], up[i + 1], dim=3) for i in range(5)])
        self.tgt_head_encoder = nn.Sequential(ConvBlock("CNA", 4, 32, 7, 1, 3), *[ResBlock(32) for _ in range(3)])
        self.tgt_head_fuser = nn.Conv3d(32 + down[0] + up[-1], 32, 7, 1, 3)
        self.mask_conv = nn.Conv3d(32, num_keypoints + 1, 7, 1, 3)
        self.occlusion_conv = nn.Conv2d(32 * depth, 1, 7, 1, 3)
        self.occlusion_conv2 = nn.Conv2d(32 * depth, 1, 7, 1, 3)

    def forward(self, fs, kp_s, kp_d, head_rgb, head_alpha):
        """Rotations are identities (pure keypoint translation), as in the released torso model."""
        feats = self.compress(fs)
        n, _, d, h, w = fs.shape
        k = kp_s.shape[1]
        heat = keypoint_gaussians(kp_d, d, h, w) - keypoint_gaussians(kp_s, d, h, w)
        heat = torch.cat([torch.zeros_like(heat[:, :1]), heat], dim=1).unsqueeze(2)  # (N, K+1, 1, d, h, w)
        identity = coordinate_grid_3d(d, h, w, fs.device)[None, None].expand(n, 1, -1, -1, -1, -1)
        to_source = identity - kp_d[:, :, None, None, None, :] + kp_s[:, :, None, None, None, :]
        motions = torch.cat([identity, to_source], dim=1)  # (N, K+1, d, h, w, 3)
        src = feats.unsqueeze(1).expand(-1, k + 1, -1, -1, -1, -1).reshape(n * (k + 1), -1, d, h, w)
        deformed = F.grid_sample(src, motions.reshape(n * (k + 1), d, h, w, 3), align_corners=True)
        deformed = deformed.reshape(n, k + 1, -1, d, h, w)
        inp = torch.cat([heat, deformed], dim=2).view(n, -1, d, h, w)
        x = torch.cat([inp, self.up(self.down(inp))], dim=1)
        head = F.interpolate(torch.cat([head_rgb, head_alpha], dim=1), size=(128, 128), mode="bilinear")
        head = F.interpolate(self.tgt_head_encoder(head), size=(h, w), mode="bilinear")
        x = self.tgt_head_fuser(torch.cat([x, head.unsqueeze(2).expand(-1, -1, d, -1, -1)], dim=1))
        mask = F.softmax(self.mask_conv(x), dim=1).unsqueeze(-1)
        deformation = (motions * mask).sum(dim=1)
        flat = x.reshape(n, -1, h, w)
        return deformation, torch.sigmoid(self.occlusion_conv(flat)), torch.sigmoid(self.occlusion_conv2(flat))


class Generator(nn.Module):
    def __init__(self, channels: int = 32, depth: int = 16):
        super().__init__()
        self.in_conv = ConvBlock("CNA", channels * depth, 256, 3, 1, 1, spectral=True, lrelu=True)
        self.mid_conv = nn.Conv2d(256, 256, 1, 1, 0)
        self.res = nn.Sequential(*[ResBlock(256, spectral=True) for _ in range(6)])
        self.up = nn.Sequential(UpBlock(256, 128, spectral=True), UpBlock(128, 64, spectral=True))
        self.out_conv = nn.Conv2d(64, 3, 7, 1, 3)

    def forward(self, fs, deformation):
        n, _, d, h, w = fs.shape
        x = F.grid_sample(fs, deformation, align_corners=True, padding_mode="border").view(n, -1, h, w)
        hid = self.up(self.res(self.mid_conv(self.in_conv(x))))
        return self.out_conv(hid), hid


def dilate(mask: torch.Tensor, ksize: int = 7) -> torch.Tensor:
    pad = (ksize - 1) // 2
    return F.max_pool2d(F.pad(mask, [pad] * 4, mode="reflect"), ksize, 1, 0)


class WarpBasedTorsoModel(nn.Module):
    def __init__(self, in_dim: int = 5, num_keypoints: int = 4):
        super().__init__()
        self.appearance_extractor = AppearanceFeatureExtractor(in_dim)
        self.motion_field_estimator = MotionFieldEstimator(32 + 2, num_keypoints)
        self.deform_based_generator = Generator()
        self.occlusion_2_predictor = nn.Sequential(
            nn.Conv2d(64 + 1, 32, 3, 1, 1), nn.ReLU(), nn.Conv2d(32, 32, 3, 1, 1), nn.ReLU(),
            nn.Conv2d(32, 1, 3, 1, 1), nn.Sigmoid())

    def forward(self, torso_rgb, segmap, kp_s, kp_d, head_rgb, head_alpha) -> dict:
        """torso_rgb (N,3,256,256) [-1,1]; segmap (N,6,H,W) one-hot [bg, hair, body, face, clothes, other];
        kp_s / kp_d (N, 68, 3) lm68 in [-1, 1] (or already the 4 torso points)."""
        body = segmap[:, [2, 4]].float()
        seg_in = F.interpolate(body, size=torso_rgb.shape[-2:], mode="bilinear", align_corners=False)
        fs = self.appearance_extractor(torch.cat([torso_rgb, seg_in], dim=1))
        seg64 = F.interpolate(body, size=fs.shape[-2:], mode="bilinear", align_corners=False)
        fs = fs * dilate(seg64.sum(dim=1, keepdim=True), 7).unsqueeze(1)
        motion_in = torch.cat([fs, seg64.unsqueeze(2).expand(-1, -1, fs.shape[2], -1, -1)], dim=1)
        if kp_s.shape[1] == 68:
            kp_s, kp_d = kp_s[:, list(TORSO_KEYPOINTS)], kp_d[:, list(TORSO_KEYPOINTS)]
        deformation, occlusion, occlusion_2 = self.motion_field_estimator(motion_in, kp_s, kp_d, head_rgb, head_alpha)
        rgb, hid = self.deform_based_generator(fs, deformation)
        occ2 = F.interpolate(occlusion_2, size=hid.shape[-2:], mode="bilinear")
        alpha = self.occlusion_2_predictor(torch.cat([hid, occ2], dim=1))
        return {"rgb": rgb, "deformed_torso_hid": hid, "occlusion": occlusion, "occlusion_2": alpha}
