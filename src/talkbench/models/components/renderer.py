"""EG3D importance renderer (coarse stratified + fine importance samples, MipRayMarcher2).

Inputs planes (N, 3, C, H, W) and rays; `RenderOptions` carries the paper settings. Sampling is
random (as in EG3D, even at inference) unless `deterministic=True` (no jitter, evenly spaced inverse-CDF
samples) or a seeded `torch.Generator` is given, so metric runs are reproducible.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F

from .triplane import sample_from_planes


@dataclass
class RenderOptions:
    depth_resolution: int = 48
    depth_resolution_importance: int = 48
    ray_start: float | str = "auto"   # "auto": per-ray near/far from the box; else fixed (EG3D FFHQ 2.25)
    ray_end: float | str = "auto"     # EG3D FFHQ 3.3
    box_warp: float = 1.0
    plane_convention: str = "eg3d"
    clamp_mode: str = "softplus"
    white_back: bool = False
    deterministic: bool = False


def ray_box_limits(origins: torch.Tensor, dirs: torch.Tensor, side: float):
    """Slab intersection with the cube [-side/2, side/2]^3 -> (t_near, t_far, valid) shaped (..., 1)."""
    half = side / 2
    inv = 1.0 / dirs
    t0 = (-half - origins) * inv
    t1 = (half - origins) * inv
    tmin = torch.minimum(t0, t1).amax(dim=-1, keepdim=True)
    tmax = torch.maximum(t0, t1).amin(dim=-1, keepdim=True)
    valid = tmax > tmin
    return tmin, tmax, valid


def march(colors, densities, depths, clamp_mode="softplus", white_back=False):
    """MipRayMarcher2: midpoint quadrature, density softplus(σ - 1), rgb mapped to [-1, 1]."""
    deltas = depths[:, :, 1:] - depths[:, :, :-1]
    colors_mid = (colors[:, :, :-1] + colors[:, :, 1:]) / 2
    dens_mid = (densities[:, :, :-1] + densities[:, :, 1:]) / 2
    depths_mid = (depths[:, :, :-1] + depths[:, :, 1:]) / 2
    if clamp_mode != "softplus":
        raise ValueError("only clamp_mode='softplus' is implemented (the EG3D default)")
    dens_mid = F.softplus(dens_mid - 1)
    alpha = 1 - torch.exp(-dens_mid * deltas)
    shifted = torch.cat([torch.ones_like(alpha[:, :, :1]), 1 - alpha + 1e-10], dim=-2)
    weights = alpha * torch.cumprod(shifted, dim=-2)[:, :, :-1]
    rgb = (weights * colors_mid).sum(dim=-2)
    total = weights.sum(dim=2)
    depth = (weights * depths_mid).sum(dim=-2) / total
    depth = torch.nan_to_num(depth, float("inf")).clamp(depths.min(), depths.max())
    if white_back:
        rgb = rgb + 1 - total
    return rgb * 2 - 1, depth, weights


def sample_pdf(bins, weights, n_samples, deterministic=False, generator=None, eps=1e-5):
    n_rays, n_w = weights.shape
    weights = weights + eps
    cdf = torch.cumsum(weights / weights.sum(-1, keepdim=True), -1)
    cdf = torch.cat([torch.zeros_like(cdf[:, :1]), cdf], -1)
    if deterministic:
        u = torch.linspace(0, 1, n_samples, device=bins.device).expand(n_rays, n_samples)
    else:
        u = torch.rand(n_rays, n_samples, device=bins.device, generator=generator)
    u = u.contiguous()
    inds = torch.searchsorted(cdf, u, right=True)
    below = (inds - 1).clamp_min(0)
    above = inds.clamp_max(n_w)
    idx = torch.stack([below, above], -1).view(n_rays, 2 * n_samples)
    cdf_g = torch.gather(cdf, 1, idx).view(n_rays, n_samples, 2)
    bins_g = torch.gather(bins, 1, idx).view(n_rays, n_samples, 2)
    denom = cdf_g[..., 1] - cdf_g[..., 0]
    denom = torch.where(denom < eps, torch.ones_like(denom), denom)
    return bins_g[..., 0] + (u - cdf_g[..., 0]) / denom * (bins_g[..., 1] - bins_g[..., 0])


class ImportanceRenderer(torch.nn.Module):
    def __init__(self, options: RenderOptions | None = None):
        super().__init__()
        self.options = options or RenderOptions()

    def near_far(self, origins, dirs):
        o = self.options
        if o.ray_start == "auto" or o.ray_end == "auto":
            if not (o.ray_start == o.ray_end == "auto"):
                raise ValueError("ray_start and ray_end must both be 'auto' or both numbers")
            start, end, valid = ray_box_limits(origins, dirs, o.box_warp)
            if valid.any():
                # EG3D/Real3D quirk kept for parity: invalid rays get the min and the *max of the starts*
                start = torch.where(valid, start, start[valid].min())
                end = torch.where(valid, end, start[valid].max())
            return start, end, valid
        start = torch.full_like(origins[..., :1], float(o.ray_start))
        end = torch.full_like(origins[..., :1], float(o.ray_end))
        return start, end, torch.ones_like(start, dtype=torch.bool)

    def stratified(self, start, end, n, generator=None):
        t = torch.linspace(0, 1, n, device=start.device).reshape(1, 1, n, 1)
        depths = start.unsqueeze(-2) + (end - start).unsqueeze(-2) * t  # (N, M, n, 1)
        if not self.options.deterministic:
            delta = ((end - start) / (n - 1)).unsqueeze(-2)
            depths = depths + torch.rand(depths.shape, device=depths.device, generator=generator) * delta
        return depths

    def run_model(self, planes, decoder: Callable, origins, dirs, depths):
        n, m, s, _ = depths.shape
        coords = (origins.unsqueeze(-2) + depths * dirs.unsqueeze(-2)).reshape(n, -1, 3)
        dirs_s = dirs.unsqueeze(-2).expand(-1, -1, s, -1).reshape(n, -1, 3)
        feats = sample_from_planes(planes, coords, self.options.box_warp, self.options.plane_convention)
        out = decoder(feats, dirs_s)
        return out["rgb"].reshape(n, m, s, -1), out["sigma"].reshape(n, m, s, 1)

    def forward(self, planes, decoder, origins, dirs, generator: torch.Generator | None = None):
        """-> rgb features (N, M, C) in [-1, 1]-mapped, depth (N, M, 1), opacity (N, M, 1), ray validity."""
        o = self.options
        start, end, valid = self.near_far(origins, dirs)
        depths_c = self.stratified(start, end, o.depth_resolution, generator)
        colors_c, dens_c = self.run_model(planes, decoder, origins, dirs, depths_c)
        if o.depth_resolution_importance > 0:
            _, _, w = march(colors_c, dens_c, depths_c, o.clamp_mode, o.white_back)
            depths_f = self.importance(depths_c, w, o.depth_resolution_importance, generator)
            colors_f, dens_f = self.run_model(planes, decoder, origins, dirs, depths_f)
            depths = torch.cat([depths_c, depths_f], dim=-2)
            colors = torch.cat([colors_c, colors_f], dim=-2)
            dens = torch.cat([dens_c, dens_f], dim=-2)
            order = torch.argsort(depths, dim=-2)
            depths = torch.gather(depths, -2, order)
            colors = torch.gather(colors, -2, order.expand_as(colors))
            dens = torch.gather(dens, -2, order)
        else:
            depths, colors, dens = depths_c, colors_c, dens_c
        rgb, depth, weights = march(colors, dens, depths, o.clamp_mode, o.white_back)
        return rgb, depth, weights.sum(2), valid

    def importance(self, depths, weights, n_imp, generator=None):
        n, m, s, _ = depths.shape
        z = depths.reshape(n * m, s)
        w = weights.reshape(n * m, -1)
        w = F.max_pool1d(w.unsqueeze(1).float(), 2, 1, padding=1)
        w = F.avg_pool1d(w, 2, 1).squeeze(1) + 0.01
        z_mid = 0.5 * (z[:, :-1] + z[:, 1:])
        fine = sample_pdf(z_mid, w[:, 1:-1], n_imp, self.options.deterministic, generator)
        return fine.detach().reshape(n, m, n_imp, 1)


def render_feature_image(renderer: ImportanceRenderer, decoder: Callable, planes: torch.Tensor, camera: torch.Tensor,
                         resolution: int, generator: torch.Generator | None = None) -> dict:
    """Render tri-planes from EG3D camera labels (B, 25) at resolution² -> images (B, C, R, R):
    'features' (all decoder channels, [-1, 1]-mapped), 'depth' (B, 1, R, R), 'weights' (opacity)."""
    b = camera.shape[0]
    from .rays import sample_rays

    origins, dirs = sample_rays(camera[:, :16].view(b, 4, 4), camera[:, 16:25].view(b, 3, 3), resolution)
    feats, depth, weights, _ = renderer(planes, decoder, origins, dirs, generator)
    to_img = lambda t: t.permute(0, 2, 1).reshape(b, t.shape[-1], resolution, resolution)  # noqa: E731
    return {"features": to_img(feats), "depth": to_img(depth), "weights": to_img(weights)}
