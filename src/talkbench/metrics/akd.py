"""AKD: average keypoint distance between the 68 landmarks of the generated and reference frames.

Default (FOMM / pose-evaluation): mean absolute difference over the 68×2 coordinates, in pixels of
a 256×256 frame (`resolution`; points found on the native frames are scaled to it; None keeps
native pixels). Option `distance="euclidean"`: mean per-point Euclidean distance. Backbones are
separate registered names: akd (FAN), akd_mediapipe (offline), akd_dlib.
"""
from __future__ import annotations

from .card import MetricCard, MetricKind
from .face_backbones import LANDMARK_BACKBONES, pick
from .face_pair import FacePairMetric
from .landmark_distance import mean_abs_coordinate_diff, mean_point_distance, rescale_points

DISTANCES = {"abs-coordinate": mean_abs_coordinate_diff, "euclidean": mean_point_distance}


class AKD(FacePairMetric):
    card = MetricCard(
        name="akd", version="1.0", higher_is_better=False, range=(0.0, None), unit="px",
        kind=MetricKind.PAIRED_FRAME, inputs=("pred_frames", "gt_frames"),
        preprocessing="68 landmarks of the largest face on each native frame, coordinates scaled to the "
        "evaluation resolution",
        aggregation="mean over frames where both frames have landmarks (pose-evaluation skips generated misses)",
        description="Average keypoint distance over 68 facial landmarks.",
        references=("AliaksandrSiarohin/pose-evaluation cmp_kp.py",),
    )
    defaults = {"pair": "gt-vs-generated", "backbone": "fan", "resolution": 256, "distance": "abs-coordinate"}

    def validate_options(self) -> None:
        super().validate_options()
        pick(LANDMARK_BACKBONES, self.options["backbone"], "akd")
        if self.options["distance"] not in DISTANCES:
            raise ValueError(f"akd: distance must be one of {sorted(DISTANCES)}")
        res = self.options["resolution"]
        if res is not None and (not isinstance(res, int) or res <= 0):
            raise ValueError(f"akd: resolution must be a positive int or None, got {res!r}")

    def analysis_name(self) -> str:
        return LANDMARK_BACKBONES[self.options["backbone"]].analysis

    def backbone_ref(self):
        return LANDMARK_BACKBONES[self.options["backbone"]].ref()

    def pair_value(self, pred, ref, pred_frame, ref_frame) -> float:
        res = self.options["resolution"]
        a = rescale_points(pred["points"], pred_frame.shape, res)
        b = rescale_points(ref["points"], ref_frame.shape, res)
        return DISTANCES[self.options["distance"]](a, b)
