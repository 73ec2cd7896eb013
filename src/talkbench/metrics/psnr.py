"""PSNR: 10·log10(R² / MSE) per frame, averaged over frames (mean of PSNRs). Identical frames give +inf."""
from __future__ import annotations

import torch

from .card import MetricCard, MetricKind
from .mse import frame_mse
from .pixel import PixelMetric


def psnr_from_mse(mse: torch.Tensor, data_range: float) -> torch.Tensor:
    out = 10.0 * torch.log10(torch.as_tensor(data_range, dtype=torch.float64) ** 2 / mse)
    return torch.where(mse == 0, torch.full_like(out, float("inf")), out)


class PSNR(PixelMetric):
    card = MetricCard(
        name="psnr", version="1.0", higher_is_better=True, range=(0.0, None), unit="dB",
        kind=MetricKind.PAIRED_FRAME, inputs=("pred_frames", "gt_frames"),
        preprocessing="RGB, values in [0, data_range], float64",
        aggregation="mean of per-frame PSNR; +inf when a frame is identical to its reference",
        description="Peak signal-to-noise ratio on RGB (no Y channel), per frame then averaged; matches "
        "skimage.metrics.peak_signal_noise_ratio with the same data_range.",
    )

    def score_frames(self, pred, gt, mask):
        p, g, w = self.prepare(pred, gt, mask)
        return psnr_from_mse(frame_mse(p, g, w), float(self.options["data_range"]))
