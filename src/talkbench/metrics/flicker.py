"""Temporal flicker after motion compensation (VBench's temporal flicker, with motion taken out).

The per-pair residual is the `flow-residual` analysis (talkbench.analysis.motion); this module averages it.

For each pair of consecutive generated frames, OpenCV's DIS optical flow (preset `medium`) from frame t+1
back to frame t warps frame t onto frame t+1 (bilinear, replicated border); the flicker of the pair is the
mean absolute difference of the warped frame and frame t+1 over pixels and RGB channels, in [0, 1] units.
flicker_warped = mean over pairs: 0 for a static clip; ≈ a for a clip whose brightness jumps by a each frame
(in unclipped regions); smooth motion is compensated (residual ≈ interpolation error). Lower is better.
"""
from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from .card import BackboneRef, MetricCard, MetricKind
from .temporal import MIN_FRAMES, ClipValue, TemporalMetric


def clip_flicker(analysis, frames: list[np.ndarray]) -> np.ndarray:
    """The flow residual of every consecutive pair (through the analysis stage: cached, shared)."""
    recs = analysis.run_pairs("flow-residual", frames[1:], frames[:-1])
    return np.array([r["residual"] for r in recs], dtype=np.float64)

class FlickerWarped(TemporalMetric):
    defaults: ClassVar[dict[str, Any]] = {}
    card = MetricCard(
        name="flicker_warped", version="1.0", higher_is_better=False, range=(0.0, 1.0), unit="[0,1] intensity",
        kind=MetricKind.TEMPORAL, inputs=("pred video",),
        preprocessing="uint8 RGB frames; DIS optical flow (OpenCV, preset medium) on grayscale from t+1 to t; bilinear "
        "warp of frame t; mean |difference| over pixels and channels",
        description="Mean absolute difference between each generated frame and its motion-compensated predecessor.",
        backbone=BackboneRef("opencv-dis-flow-medium"), aggregation="mean over frame pairs, then over clips",
        references=("VBench temporal flicker", "Kroeger et al. 2016 (DIS flow)"),
    )

    def clip_value(self, ctx) -> ClipValue | str:
        frames = ctx.pred.arrays
        if len(frames) < MIN_FRAMES:
            return self.too_short(len(frames), "pixels")
        per_pair = clip_flicker(ctx.analysis, frames)
        return ClipValue(float(np.mean(per_pair)), len(frames), {"max_pair": float(per_pair.max())})
