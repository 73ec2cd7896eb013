"""Shared machinery of the face metrics (CSIM, AED, APD, AKD, LMD): pair each generated frame with
its reference, run one face analysis on both through FrameAnalysis, score the frames where both
have a face, and record every other frame as missing with its reason (never as 0).

Subclasses name the analysis (`analysis_name()`), how a pair of records becomes one number
(`pair_value`), and their card's backbone (`backbone_ref()`).
"""
from __future__ import annotations

import abc
from typing import Any, ClassVar, Sequence

import numpy as np

from .analysis_reader import AnalysisReader
from .base import Metric, MetricValue, Reduction, StateField, mean_or_none
from .card import BackboneRef

#: pair mode -> the ItemContext frames that generated frames are compared with
PAIR_MODES = {
    "gt-vs-generated": "gt",
    "driving-vs-generated": "driving",
    "source-vs-generated": "source",
}


def as_uint8_frames(frames: Any) -> list[np.ndarray]:
    """A FrameSet, a list of uint8 H×W×3 arrays, or an N×3×H×W tensor in [0,1] -> uint8 RGB arrays."""
    if hasattr(frames, "arrays"):
        return list(frames.arrays)
    if hasattr(frames, "detach"):
        t = frames.detach().cpu()
        if t.dim() == 3:
            t = t.unsqueeze(0)
        arr = (t.clamp(0, 1).double().numpy() * 255.0).round().astype(np.uint8)
        return [np.ascontiguousarray(a.transpose(1, 2, 0)) for a in arr]
    arrays = [np.asarray(f) for f in frames]
    for a in arrays:
        if a.dtype != np.uint8 or a.ndim != 3:
            raise ValueError(f"expected uint8 H×W×3 frames, got {a.dtype} {a.shape}")
    return arrays


class FacePairMetric(AnalysisReader, Metric):
    """Per-frame values from one face analysis of generated and reference frames."""

    defaults: ClassVar[dict[str, Any]] = {"pair": "gt-vs-generated"}
    allowed_pairs: ClassVar[tuple[str, ...]] = ("gt-vs-generated", "driving-vs-generated")

    def validate_options(self) -> None:
        if self.options["pair"] not in self.allowed_pairs:
            raise ValueError(f"{type(self).__name__}: pair must be one of {self.allowed_pairs}, got {self.options['pair']!r}")

    # -- what subclasses provide -------------------------------------------------------------
    @abc.abstractmethod
    def analysis_name(self) -> str: ...

    @abc.abstractmethod
    def pair_value(self, pred: dict[str, Any], ref: dict[str, Any], pred_frame: np.ndarray, ref_frame: np.ndarray) -> float: ...

    @abc.abstractmethod
    def backbone_ref(self) -> BackboneRef: ...

    @property
    def instance_card(self):
        return self.card.with_options(name=self.name, options=dict(self.options), backbone=self.backbone_ref())

    # -- state ---------------------------------------------------------------------------------
    state_fields = (
        StateField("_values", Reduction.CAT, "per-frame float64 values of the frames both sides had a face in"),
        StateField("_missing", Reduction.ITEMS, "(frame name, reason) of the frames that could not be scored"),
    )

    def score_pairs(self, analysis: Any, pred: Sequence[np.ndarray], ref: Sequence[np.ndarray],
                    names: Sequence[str] | None = None) -> tuple[list[float], list[tuple[str, str]]]:
        """Values for frames where both sides have a face, and (frame name, reason) for the others."""
        if len(ref) == 1 and len(pred) > 1:
            ref = list(ref) * len(pred)  # one source image against every generated frame
        if len(ref) != len(pred):
            raise ValueError(f"{len(pred)} generated frames but {len(ref)} reference frames")
        names = list(names) if names is not None else [f"frame_{i:06d}" for i in range(len(pred))]
        name = self.analysis_name()
        pred_recs = analysis.run(name, list(pred))
        ref_recs = analysis.run(name, list(ref))
        values, missing = [], []
        for i, (p, r) in enumerate(zip(pred_recs, ref_recs)):
            if not p.ok:
                missing.append((names[i], f"generated frame: {p.missing}"))
            elif not r.ok:
                missing.append((names[i], f"reference frame: {r.missing}"))
            else:
                values.append(float(self.pair_value(p.value, r.value, pred[i], ref[i])))
        return values, missing

    def update(self, pred: Any, ref: Any, names: Sequence[str] | None = None) -> np.ndarray:
        """Score generated frames against reference frames (FrameSets, uint8 arrays or tensors in [0,1])."""
        values, missing = self.score_pairs(self.analysis, as_uint8_frames(pred), as_uint8_frames(ref), names)
        arr = np.asarray(values, dtype=np.float64)
        self._values.append(arr)
        self._missing.extend(missing)
        return arr

    def compute(self) -> MetricValue:
        v = np.concatenate(self._values) if self._values else np.zeros(0)
        extra = {"missing_frames": len(self._missing)} if self._missing else {}
        return MetricValue(self.name, mean_or_none(v), int(v.size), v.tolist(), extra)

    def update_item(self, ctx: Any):
        from .context import ItemScore

        ref = ctx.reference(PAIR_MODES[self.options["pair"]])
        values, missing = self.score_pairs(ctx.analysis, ctx.pred.arrays, ref.arrays, ctx.pred.names)
        arr = np.asarray(values, dtype=np.float64)
        self._values.append(arr)  # a CAT state holds arrays
        self._missing.extend(missing)
        return ItemScore(mean_or_none(arr), len(values), missing_frames=missing)


def weights_backbone(weights_id: str, backbone_id: str | None = None) -> BackboneRef:
    """A card's BackboneRef for a catalogued official file (its published sha256; nothing is loaded)."""
    from ..weights.store import get_weights_spec

    spec = get_weights_spec(weights_id)
    return BackboneRef(backbone_id or spec.backbone, spec.basename, spec.sha256)


class CoeffPairMetric(FacePairMetric):
    """A face-pair metric on 3DMM-like coefficients (AED, APD); option `backbone` picks the regressor."""

    def validate_options(self) -> None:
        super().validate_options()
        from .face_backbones import COEFF_BACKBONES, pick

        pick(COEFF_BACKBONES, self.options["backbone"], self.card.name)

    def analysis_name(self) -> str:
        from .face_backbones import COEFF_BACKBONES

        return COEFF_BACKBONES[self.options["backbone"]].analysis

    def backbone_ref(self):
        from .face_backbones import COEFF_BACKBONES

        return COEFF_BACKBONES[self.options["backbone"]].ref()
