"""Head-motion dynamics: does the generated head move like the reference person (driving or GT)?

From the per-frame head pose (pitch, yaw, roll of a rigid fit of the mediapipe mesh, `pose:mediapipe-mesh`),
frame-to-frame angular velocities in degrees per frame (pairs of consecutive analysed frames):
- head_motion_w1: Wasserstein-1 distance between the generated and the reference velocity distributions,
  per angle, averaged over the three angles (deg/frame; 0 = the same dynamics; lower is better);
- head_motion_energy: mean squared generated velocity / mean squared reference velocity (1 = the same
  amount of motion; 0 = a frozen head, the flag for source-copy-like outputs; neither direction is better).
"""
from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from scipy.stats import wasserstein_distance

from .card import MetricCard, MetricKind
from .face_backbones import COEFF_BACKBONES
from .temporal import MIN_FRAMES, ClipValue, TemporalMetric, series, velocities

POSE_ANALYSIS = "pose:mediapipe-mesh"


def pose_velocities(records: list) -> np.ndarray:
    return velocities(np.degrees(series(records, lambda r: r["angles"])))


def w1_per_angle(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean([wasserstein_distance(a[:, k], b[:, k]) for k in range(a.shape[1])]))


def energy_ratio(a: np.ndarray, b: np.ndarray) -> float:
    ref = float(np.mean(b ** 2))
    return float(np.mean(a ** 2)) / ref if ref > 0 else (0.0 if not np.any(a) else float("inf"))


class _HeadMotion(TemporalMetric):
    defaults: ClassVar[dict[str, Any]] = {"reference": "driving"}
    statistic: ClassVar[Any]

    @property
    def instance_card(self):
        return super().instance_card.with_options(backbone=COEFF_BACKBONES["mediapipe-mesh"].ref())

    def clip_value(self, ctx) -> ClipValue | str:
        ref = ctx.reference(self.options["reference"])
        v_pred = pose_velocities(ctx.analysis.run(POSE_ANALYSIS, ctx.pred))
        v_ref = pose_velocities(ctx.analysis.run(POSE_ANALYSIS, ref))
        for v, role in ((v_pred, "generated"), (v_ref, self.options["reference"])):
            if len(v) < MIN_FRAMES - 1:
                return f"{role} frames: {self.too_short(len(v) + 1, 'a head pose')}"
        return ClipValue(type(self).statistic(v_pred, v_ref), len(v_pred) + 1,
                         {"velocity_pairs": len(v_pred), "reference": self.options["reference"]})


def _card(name: str, higher: bool | None, rng: tuple, unit: str, description: str) -> MetricCard:
    return MetricCard(name=name, version="1.0", higher_is_better=higher, range=rng, unit=unit, kind=MetricKind.TEMPORAL,
                      inputs=("pred video", "reference video (driving by default)"),
                      preprocessing="mediapipe face mesh → rigid fit to the canonical face → Euler angles (deg); "
                      "velocities between consecutive frames that both have a face",
                      description=description, aggregation="mean over clips",
                      backbone=COEFF_BACKBONES["mediapipe-mesh"].ref(), references=("THEval (head-motion dynamics)",))


class HeadMotionW1(_HeadMotion):
    statistic = staticmethod(w1_per_angle)
    card = _card("head_motion_w1", False, (0.0, None), "deg/frame",
                 "Wasserstein-1 distance between generated and reference head-pose velocity distributions, mean of pitch/yaw/roll.")


class HeadMotionEnergy(_HeadMotion):
    statistic = staticmethod(energy_ratio)
    card = _card("head_motion_energy", None, (0.0, None), "ratio",
                 "Mean squared head-pose velocity of the generated clip over the reference's: 1 is the reference's "
                 "amount of motion, 0 a frozen head.")
