"""AED: average expression distance between the generated frame and its driving/GT frame.

Backbone `deep3d` (default; StyleHEAT/OTAvatar/GAGAvatar family): mean over the 64 Deep3DFaceRecon
expression coefficients of |Δexp| (coefficient units). Backbone `mediapipe-mesh` (OFFLINE, its own
registered name aed_mediapipe, a different unit): mean per-point Euclidean distance of the two
478-point meshes after undoing each one's rigid head pose, in canonical-face centimetres.
Not FOMM's "AED" (an identity distance).
"""
from __future__ import annotations

from .card import MetricCard, MetricKind
from .coeff_distance import expression_distance, mesh_expression_distance
from .face_pair import CoeffPairMetric


class AED(CoeffPairMetric):
    card = MetricCard(
        name="aed", version="1.0", higher_is_better=False, range=(0.0, None), unit="3DMM exp units (deep3d) | cm (mesh)",
        kind=MetricKind.PAIRED_FRAME, inputs=("pred_frames", "gt_frames | driving_frames"),
        preprocessing="deep3d: FAN 68 → 5 points (eye = mean of corners), POS fit, s=102/scale, PIL bicubic, 224 crop, "
        "RGB/255; mediapipe-mesh: 478-point mesh of the largest face, rigid pose removed",
        aggregation="mean over frames where both frames have a face",
        description="Average expression distance: mean |Δ| over the 64 expression coefficients.",
        references=("Next3D cal_3dmm_distance.py (StyleHEAT lineage)", "GAGAvatar issue #36", "OTAvatar issue #27"),
    )
    defaults = {"pair": "gt-vs-generated", "backbone": "deep3d"}

    def pair_value(self, pred, ref, pred_frame, ref_frame) -> float:
        if self.options["backbone"] == "deep3d":
            return expression_distance(pred["coeffs"], ref["coeffs"])
        return mesh_expression_distance(pred["canonical_mesh"], ref["canonical_mesh"])
