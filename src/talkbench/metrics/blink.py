"""Blink dynamics: does the generated face blink as often as the reference person?

Eye aspect ratio per frame from iBUG-68 landmarks (Soukupová & Čech 2016), mean of both eyes:
EAR = (‖p1 − p5‖ + ‖p2 − p4‖) / (2‖p0 − p3‖) over each eye's six points (36–41, 42–47).
A frame is closed when its EAR is below `closed_ratio` × the clip's median EAR (its open-eye level, so the
threshold follows the landmarker and the face); a blink is a maximal run of closed frames.
blink_rate_error = |blinks per minute (generated) − blinks per minute (reference)|, at the item's fps
(25 when unknown, recorded). A frozen head that never blinks scores the reference's blink rate.
"""
from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from .card import MetricCard, MetricKind
from .face_backbones import LANDMARK_BACKBONES, pick
from .temporal import MIN_FRAMES, ClipValue, TemporalMetric, series

EYES = (np.arange(36, 42), np.arange(42, 48))
DEFAULT_FPS = 25.0


def eye_aspect_ratio(points: np.ndarray) -> float:
    p = np.asarray(points, dtype=np.float64)
    ears = []
    for idx in EYES:
        e = p[idx, :2]
        ears.append((np.linalg.norm(e[1] - e[5]) + np.linalg.norm(e[2] - e[4])) / (2.0 * np.linalg.norm(e[0] - e[3])))
    return float(np.mean(ears))


def count_blinks(ear: np.ndarray, closed_ratio: float) -> int:
    """Maximal runs of frames whose EAR is below closed_ratio × the median EAR (NaN frames count as open)."""
    ear = np.asarray(ear, dtype=np.float64)
    closed = ear < closed_ratio * np.nanmedian(ear)
    return int(np.sum(closed[1:] & ~closed[:-1]) + (1 if len(closed) and closed[0] else 0))


def blinks_per_minute(ear: np.ndarray, fps: float, closed_ratio: float) -> float:
    return count_blinks(ear, closed_ratio) * 60.0 * fps / len(ear)


class BlinkRateError(TemporalMetric):
    defaults: ClassVar[dict[str, Any]] = {"reference": "driving", "backbone": "mediapipe", "closed_ratio": 0.75}
    card = MetricCard(
        name="blink_rate_error", version="1.0", higher_is_better=False, range=(0.0, None), unit="blinks/min",
        kind=MetricKind.TEMPORAL, inputs=("pred video", "reference video (driving by default)"),
        preprocessing="iBUG-68 landmarks (mediapipe by default) → eye aspect ratio; closed below 0.75 × the clip's median EAR",
        description="Absolute difference of blink rates (blinks per minute) between the generated and the reference clip.",
        backbone=LANDMARK_BACKBONES["mediapipe"].ref(), aggregation="mean over clips",
        references=("Soukupová & Čech 2016 (EAR)", "THEval (eye dynamics)"),
    )

    def validate_options(self) -> None:
        pick(LANDMARK_BACKBONES, self.options["backbone"], self.name)
        if not 0.0 < float(self.options["closed_ratio"]) < 1.0:
            raise ValueError(f"closed_ratio must be in (0, 1), got {self.options['closed_ratio']}")

    @property
    def instance_card(self):
        return super().instance_card.with_options(backbone=LANDMARK_BACKBONES[self.options["backbone"]].ref())

    def clip_value(self, ctx) -> ClipValue | str:
        analysis = LANDMARK_BACKBONES[self.options["backbone"]].analysis
        fps = float(ctx.fps or ctx.pred.fps or DEFAULT_FPS)
        rates = {}
        for role, frames in (("generated", ctx.pred), (self.options["reference"], ctx.reference(self.options["reference"]))):
            ear = series(ctx.analysis.run(analysis, frames), lambda r: eye_aspect_ratio(r["points"]))
            if np.isfinite(ear).sum() < MIN_FRAMES:
                return f"{role} frames: {self.too_short(int(np.isfinite(ear).sum()), 'eye landmarks')}"
            rates[role] = blinks_per_minute(ear, fps, float(self.options["closed_ratio"]))
        pred_rate, ref_rate = rates.values()
        return ClipValue(abs(pred_rate - ref_rate), len(ctx.pred),
                         {"blinks_per_min": pred_rate, "reference_blinks_per_min": ref_rate, "fps": fps,
                          "fps_assumed": not (ctx.fps or ctx.pred.fps)})
