"""Motion-compensated frame differences: the flow residual of a (next frame, previous frame) pair.

  flow-residual    OpenCV DIS optical flow (preset medium) on grayscale from the next frame back to the
                   previous one; the previous frame warped onto the next (bilinear, replicated border);
                   the mean |warped − next| over pixels and RGB channels, in [0, 1] units.

Frames are uint8 H×W×3 RGB. Arithmetic is on 0…255 values (exact in float32), so a zero flow between
identical frames gives exactly 0.
"""
from __future__ import annotations

import numpy as np

from .base import PairAnalyser
from .records import FrameRecord

FLOW_PRESET = "medium"


def warped_difference(prev: np.ndarray, nxt: np.ndarray) -> float:
    """Mean |warp(prev → nxt) − nxt| for uint8 H×W×3 RGB frames, in [0, 1] units."""
    import cv2

    g0, g1 = (cv2.cvtColor(np.ascontiguousarray(f), cv2.COLOR_RGB2GRAY) for f in (prev, nxt))
    flow = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM).calc(g1, g0, None)
    h, w = g0.shape
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    src = np.ascontiguousarray(prev, dtype=np.float32)
    warped = cv2.remap(src, gx + flow[..., 0], gy + flow[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return float(np.mean(np.abs(warped.astype(np.float64) - nxt.astype(np.float64)))) / 255.0


class FlowResidualAnalyser(PairAnalyser):
    """Pairs are (next frame, previous frame): the record of frames[i] against refs[i]."""

    name = "flow-residual"

    def backbone_fingerprint(self):
        import cv2

        return {"id": f"opencv-dis-flow-{FLOW_PRESET}", "weights_sha256": None, "opencv": cv2.__version__}

    def analyse_pairs(self, frames, refs):
        return [FrameRecord(value={"residual": warped_difference(prev, nxt)}) for nxt, prev in zip(frames, refs)]
