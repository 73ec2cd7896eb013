"""Temporal flicker after motion compensation (VBench's temporal flicker, with motion taken out).

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

FLOW_PRESET = "medium"


def warped_difference(prev: np.ndarray, nxt: np.ndarray) -> float:
    """Mean |warp(prev → nxt) − nxt| for uint8 H×W×3 RGB frames, in [0, 1] units."""
    import cv2

    g0, g1 = (cv2.cvtColor(np.ascontiguousarray(f), cv2.COLOR_RGB2GRAY) for f in (prev, nxt))
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    flow = dis.calc(g1, g0, None)
    h, w = g0.shape
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    src = np.ascontiguousarray(prev, dtype=np.float32)  # 0…255: exact in float32, so a zero flow gives exactly 0
    warped = cv2.remap(src, gx + flow[..., 0], gy + flow[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return float(np.mean(np.abs(warped.astype(np.float64) - nxt.astype(np.float64)))) / 255.0


def clip_flicker(frames: list[np.ndarray]) -> np.ndarray:
    return np.array([warped_difference(a, b) for a, b in zip(frames[:-1], frames[1:])], dtype=np.float64)


class FlickerWarped(TemporalMetric):
    defaults: ClassVar[dict[str, Any]] = {}
    card = MetricCard(
        name="flicker_warped", version="1.0", higher_is_better=False, range=(0.0, 1.0), unit="[0,1] intensity",
        kind=MetricKind.TEMPORAL, inputs=("pred video",),
        preprocessing="uint8 RGB frames; DIS optical flow (OpenCV, preset medium) on grayscale from t+1 to t; bilinear "
        "warp of frame t; mean |difference| over pixels and channels",
        description="Mean absolute difference between each generated frame and its motion-compensated predecessor.",
        backbone=BackboneRef(f"opencv-dis-flow-{FLOW_PRESET}"), aggregation="mean over frame pairs, then over clips",
        references=("VBench temporal flicker", "Kroeger et al. 2016 (DIS flow)"),
    )

    @property
    def instance_card(self):
        import cv2

        return super().instance_card.with_options(backbone=BackboneRef(f"opencv-dis-flow-{FLOW_PRESET}", f"opencv {cv2.__version__}"))

    def clip_value(self, ctx) -> ClipValue | str:
        frames = ctx.pred.arrays
        if len(frames) < MIN_FRAMES:
            return self.too_short(len(frames), "pixels")
        per_pair = clip_flicker(frames)
        return ClipValue(float(np.mean(per_pair)), len(frames), {"max_pair": float(per_pair.max())})
