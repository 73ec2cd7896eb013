"""APD: average pose distance between the generated frame and its driving/GT frame.

Backbone `deep3d` (default): mean over the 3 Deep3DFaceRecon rotation angles (radians) of |Δ|;
`include_translation=True` averages over the 3 angles and (tx, ty, tz) instead (OTAvatar's
reading). Backbone `mediapipe-mesh` (OFFLINE, registered as apd_mediapipe): the same mean over
pitch/yaw/roll from a rigid fit of the mediapipe mesh; no translation option (its translation is
in image pixels, not comparable).
"""
from __future__ import annotations

from .card import MetricCard, MetricKind
from .coeff_distance import angle_distance, pose_distance
from .face_pair import CoeffPairMetric


class APD(CoeffPairMetric):
    card = MetricCard(
        name="apd", version="1.0", higher_is_better=False, range=(0.0, None), unit="rad",
        kind=MetricKind.PAIRED_FRAME, inputs=("pred_frames", "gt_frames | driving_frames"),
        preprocessing="deep3d: as AED (POS 224 crop, RGB/255); mediapipe-mesh: rigid fit of the 478-point mesh "
        "to mediapipe's canonical face, R = Rz·Ry·Rx",
        aggregation="mean over frames where both frames have a face",
        description="Average pose distance: mean |Δ| over pitch, yaw, roll (radians), optionally with translation.",
        references=("Next3D cal_3dmm_distance.py", "aigc3d/LAM issue #11 (angles only)", "OTAvatar issue #11"),
    )
    defaults = {"pair": "gt-vs-generated", "backbone": "deep3d", "include_translation": False}

    def validate_options(self) -> None:
        super().validate_options()
        if self.options["include_translation"] and self.options["backbone"] != "deep3d":
            raise ValueError("apd: include_translation needs the deep3d backbone (mesh translation is in image pixels)")

    def pair_value(self, pred, ref, pred_frame, ref_frame) -> float:
        if self.options["backbone"] == "deep3d":
            return pose_distance(pred["coeffs"], ref["coeffs"], bool(self.options["include_translation"]))
        return angle_distance(pred["angles"], ref["angles"])
