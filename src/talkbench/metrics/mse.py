"""MSE: mean squared error per frame, averaged over frames."""
from __future__ import annotations

import torch

from .card import MetricCard, MetricKind
from .pixel import PixelMetric, frame_errors


def frame_mse(pred: torch.Tensor, gt: torch.Tensor, weight: torch.Tensor | None = None) -> torch.Tensor:
    return frame_errors(pred, gt, weight)[1]


class MSE(PixelMetric):
    card = MetricCard(
        name="mse", version="1.0", higher_is_better=False, range=(0.0, None), unit="(data range)^2",
        kind=MetricKind.PAIRED_FRAME, inputs=("pred_frames", "gt_frames"),
        preprocessing="RGB, values in [0, data_range], float64",
        description="Mean squared error over pixels and channels of each frame, averaged over frames.",
    )

    def score_frames(self, pred, gt, mask):
        p, g, w = self.prepare(pred, gt, mask)
        return frame_mse(p, g, w)
