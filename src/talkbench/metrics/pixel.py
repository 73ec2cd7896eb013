"""Shared pieces of the pixel metrics (PSNR, SSIM, L1, MSE): value range and region handling.

Regions:
- ``full``: every pixel of the frame.
- ``composite-white``: the NeRSemble "masked" mode; prediction and GT are composited onto a white
  background with the GT alpha (x' = α·x + (1 − α)) and then compared over the full frame.
- ``masked-mean``: per-pixel errors averaged with the GT alpha as weights.
"""
from __future__ import annotations

from typing import Any, ClassVar

import torch

from .base import PairedFrameMetric

REGIONS = ("full", "composite-white", "masked-mean")


def composite_on_white(x: torch.Tensor, alpha: torch.Tensor) -> torch.Tensor:
    return x * alpha + (1.0 - alpha)


def weighted_frame_mean(values: torch.Tensor, weight: torch.Tensor | None) -> torch.Tensor:
    """Mean over C,H,W of N×C×H×W values, optionally weighted by an N×1×H×W mask."""
    if weight is None:
        return values.flatten(1).mean(dim=1)
    w = weight.expand_as(values)
    total = w.flatten(1).sum(dim=1)
    if bool((total <= 0).any()):
        raise ValueError("a mask is empty (all zeros): the masked mean is undefined for that frame")
    return (values * w).flatten(1).sum(dim=1) / total


def frame_errors(pred: torch.Tensor, gt: torch.Tensor, weight: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-frame (mean |pred − gt|, mean (pred − gt)²) over C,H,W, optionally ``weight``-ed (N×1×H×W).

    Unweighted CPU frames take one fused float64 pass (``pixel_kernels``); otherwise torch on the
    frames' device. Both sum in float64, so they agree to summation order (~1e-16 relative)."""
    if weight is None and pred.device.type == "cpu" and len(pred):
        from .pixel_kernels import frame_error_sums

        n_values = pred[0].numel()
        abs_sum, sq_sum = frame_error_sums(pred, gt)
        return torch.from_numpy(abs_sum / n_values), torch.from_numpy(sq_sum / n_values)
    d = pred - gt
    return weighted_frame_mean(d.abs(), weight), weighted_frame_mean(d * d, weight)


class PixelMetric(PairedFrameMetric):
    """Base for metrics computed on the pixels of (pred, gt) in float64."""

    defaults: ClassVar[dict[str, Any]] = {"data_range": 1.0, "region": "full"}

    def validate_options(self) -> None:
        if self.options["region"] not in REGIONS:
            raise ValueError(f"region must be one of {REGIONS}, got {self.options['region']!r}")
        if not float(self.options["data_range"]) > 0:
            raise ValueError("data_range must be positive (the span of the input values, 1.0 for [0,1] images)")

    def prepare(self, pred: torch.Tensor, gt: torch.Tensor, mask: torch.Tensor | None):
        """float64 copies with the region applied; returns (pred, gt, weight or None)."""
        region = self.options["region"]
        pred, gt = pred.to(torch.float64), gt.to(torch.float64)
        if region == "full":
            return pred, gt, None
        if mask is None:
            raise ValueError(f"metric '{self.name}' with region '{region}' needs the GT alpha mask")
        alpha = mask.to(torch.float64).clamp(0.0, 1.0)
        if region == "composite-white":
            white = float(self.options["data_range"])
            return pred * alpha + (1.0 - alpha) * white, gt * alpha + (1.0 - alpha) * white, None
        return pred, gt, alpha

    @property
    def preprocessing_text(self) -> str:
        region = {
            "full": "full frame",
            "composite-white": "pred and GT composited onto white with the GT alpha",
            "masked-mean": "errors averaged with the GT alpha as weights",
        }[self.options["region"]]
        return f"RGB, values in [0, {self.options['data_range']:g}], float64; {region}"

    @property
    def instance_card(self):
        return super().instance_card.with_options(preprocessing=self.preprocessing_text)
