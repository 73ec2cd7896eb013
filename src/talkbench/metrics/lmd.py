"""LMD: landmark distance on the mouth (iBUG points 48–67).

Each 20-point set is mean-centred on its own (translation removed; no scale or rotation
normalisation), then the mean per-point Euclidean distance is taken (RAD-NeRF/ER-NeRF LMDMeter,
evaluation_eat). Pixels of the native frames by default (`resolution=None`); `region="face"` uses
all 68 points. Backbones are separate registered names: lmd (FAN), lmd_mediapipe, lmd_dlib.
"""
from __future__ import annotations

from .card import MetricCard, MetricKind
from .face_backbones import LANDMARK_BACKBONES, pick
from .face_pair import FacePairMetric
from .landmark_distance import centred, mean_point_distance, rescale_points

REGIONS = {"mouth": slice(48, 68), "face": slice(0, 68)}


class LMD(FacePairMetric):
    card = MetricCard(
        name="lmd", version="1.0", higher_is_better=False, range=(0.0, None), unit="px",
        kind=MetricKind.PAIRED_FRAME, inputs=("pred_frames", "gt_frames"),
        preprocessing="68 landmarks of the largest face on each full frame; region points mean-centred per frame",
        aggregation="mean over frames where both frames have landmarks",
        description="Mean per-point Euclidean distance between mean-centred mouth landmarks (48–67).",
        references=("ashawkey/RAD-NeRF nerf/utils.py LMDMeter", "yuangan/evaluation_eat"),
    )
    defaults = {"pair": "gt-vs-generated", "backbone": "fan", "region": "mouth", "resolution": None}

    def validate_options(self) -> None:
        super().validate_options()
        pick(LANDMARK_BACKBONES, self.options["backbone"], "lmd")
        if self.options["region"] not in REGIONS:
            raise ValueError(f"lmd: region must be one of {sorted(REGIONS)}")

    def analysis_name(self) -> str:
        return LANDMARK_BACKBONES[self.options["backbone"]].analysis

    def backbone_ref(self):
        return LANDMARK_BACKBONES[self.options["backbone"]].ref()

    def pair_value(self, pred, ref, pred_frame, ref_frame) -> float:
        sl = REGIONS[self.options["region"]]
        res = self.options["resolution"]
        a = centred(rescale_points(pred["points"], pred_frame.shape, res)[sl])
        b = centred(rescale_points(ref["points"], ref_frame.shape, res)[sl])
        return mean_point_distance(a, b)
