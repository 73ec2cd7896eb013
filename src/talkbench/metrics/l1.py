"""L1: mean absolute error per frame (FOMM's reconstruction L1), averaged over frames."""
from __future__ import annotations

from .card import MetricCard, MetricKind
from .pixel import PixelMetric, frame_errors


class L1(PixelMetric):
    card = MetricCard(
        name="l1", version="1.0", higher_is_better=False, range=(0.0, None), unit="data range",
        kind=MetricKind.PAIRED_FRAME, inputs=("pred_frames", "gt_frames"),
        preprocessing="RGB, values in [0, data_range], float64",
        description="Mean |pred − gt| over pixels and channels of each frame, averaged over frames "
        "(FOMM reconstruction.py convention).",
        references=("Siarohin et al. 2019, FOMM reconstruction.py",),
    )

    def score_frames(self, pred, gt, mask):
        p, g, w = self.prepare(pred, gt, mask)
        return frame_errors(p, g, w)[0]
