"""SSIM (Wang et al. 2004), batched in float64.

Default: 11×11 Gaussian window, σ = 1.5, population covariance, K1 = 0.01, K2 = 0.03, computed per
channel on the valid (border-cropped) region and averaged over channels: what most papers use
(pytorch_msssim, torchmetrics) and equal to
``skimage.metrics.structural_similarity(gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
data_range=R, channel_axis=-1)``.

``window="uniform7"``: 7×7 uniform window with sample covariance, scikit-image's default
(``structural_similarity(data_range=R, channel_axis=-1)``), used by e.g. evaluation_eat.
"""
from __future__ import annotations

from typing import Any, ClassVar

import torch
import torch.nn.functional as F

from .card import MetricCard, MetricKind
from .pixel import PixelMetric

WINDOWS = ("gaussian11", "uniform7")


def gaussian_kernel1d(sigma: float, truncate: float = 3.5) -> torch.Tensor:
    radius = int(truncate * sigma + 0.5)  # scipy.ndimage's rule; σ=1.5 -> 11 taps
    x = torch.arange(-radius, radius + 1, dtype=torch.float64)
    k = torch.exp(-0.5 * (x / sigma) ** 2)
    return k / k.sum()


def window_kernel1d(window: str, sigma: float) -> torch.Tensor:
    if window == "gaussian11":
        return gaussian_kernel1d(sigma)
    return torch.full((7,), 1.0 / 7.0, dtype=torch.float64)


def _filter_valid(x: torch.Tensor, k1d: torch.Tensor) -> torch.Tensor:
    """Separable 2-D filter over N×C×H×W, keeping only fully covered positions."""
    c = x.shape[1]
    kh = k1d.view(1, 1, -1, 1).expand(c, 1, -1, 1)
    kw = k1d.view(1, 1, 1, -1).expand(c, 1, 1, -1)
    return F.conv2d(F.conv2d(x, kh, groups=c), kw, groups=c)


def ssim_map(pred: torch.Tensor, gt: torch.Tensor, data_range: float, window: str = "gaussian11",
             sigma: float = 1.5, k1: float = 0.01, k2: float = 0.03, sample_covariance: bool = False) -> torch.Tensor:
    """SSIM map N×C×H'×W' over the valid region (float64)."""
    k = window_kernel1d(window, sigma)
    if pred.shape[-1] < k.numel() or pred.shape[-2] < k.numel():
        raise ValueError(f"images of {tuple(pred.shape[-2:])} are smaller than the {k.numel()}×{k.numel()} SSIM window")
    n_px = k.numel() ** 2
    cov_norm = n_px / (n_px - 1.0) if sample_covariance else 1.0
    mu_x, mu_y = _filter_valid(pred, k), _filter_valid(gt, k)
    vx = cov_norm * (_filter_valid(pred * pred, k) - mu_x * mu_x)
    vy = cov_norm * (_filter_valid(gt * gt, k) - mu_y * mu_y)
    vxy = cov_norm * (_filter_valid(pred * gt, k) - mu_x * mu_y)
    c1, c2 = (k1 * data_range) ** 2, (k2 * data_range) ** 2
    num = (2 * mu_x * mu_y + c1) * (2 * vxy + c2)
    den = (mu_x**2 + mu_y**2 + c1) * (vx + vy + c2)
    return num / den


class SSIM(PixelMetric):
    defaults: ClassVar[dict[str, Any]] = {
        **PixelMetric.defaults, "window": "gaussian11", "sigma": 1.5, "k1": 0.01, "k2": 0.03, "sample_covariance": None,
    }
    card = MetricCard(
        name="ssim", version="1.0", higher_is_better=True, range=(-1.0, 1.0), unit="",
        kind=MetricKind.PAIRED_FRAME, inputs=("pred_frames", "gt_frames"),
        preprocessing="RGB, values in [0, data_range], float64",
        description="Structural similarity (Wang et al. 2004): 11×11 Gaussian σ=1.5, population covariance, "
        "K1=0.01, K2=0.03, per channel on the border-cropped valid region, then averaged; "
        "window='uniform7' gives scikit-image's default (7×7 uniform, sample covariance).",
        references=("Wang et al., IEEE TIP 2004",),
    )

    def validate_options(self) -> None:
        super().validate_options()
        if self.options["window"] not in WINDOWS:
            raise ValueError(f"window must be one of {WINDOWS}")
        if self.options["sample_covariance"] is None:  # each named window has its customary covariance
            self.options["sample_covariance"] = self.options["window"] == "uniform7"

    def score_frames(self, pred, gt, mask):
        p, g, w = self.prepare(pred, gt, mask)
        o = self.options
        smap = ssim_map(p, g, float(o["data_range"]), o["window"], float(o["sigma"]), float(o["k1"]),
                        float(o["k2"]), bool(o["sample_covariance"]))
        if w is None:
            return smap.mean(dim=(2, 3)).mean(dim=1)
        pad = (p.shape[-1] - smap.shape[-1]) // 2
        wv = w[..., pad: pad + smap.shape[-2], pad: pad + smap.shape[-1]]
        total = wv.flatten(1).sum(dim=1)
        if bool((total <= 0).any()):
            raise ValueError("a mask is empty inside the SSIM valid region")
        return (smap * wv).sum(dim=(2, 3)).mean(dim=1) / total

    @property
    def preprocessing_text(self) -> str:
        o = self.options
        win = "11×11 Gaussian σ=%g" % o["sigma"] if o["window"] == "gaussian11" else "7×7 uniform"
        cov = "sample" if o["sample_covariance"] else "population"
        return f"{super().preprocessing_text}; {win} window, {cov} covariance, K1={o['k1']}, K2={o['k2']}, border cropped"
