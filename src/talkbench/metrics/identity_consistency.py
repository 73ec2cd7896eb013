"""Identity consistency over time (THEval / VBench "subject consistency", for faces): does the identity drift?

identity_consistency_*: mean over frames of 1 − cos(e_t, ē), where e_t is the frame's identity embedding
  and ē the clip's mean direction (mean of the unit embeddings); 0 for a constant identity.
identity_drift_*: 1 − cos(mean of the first window, mean of the last window), window = a quarter of the
  clip's analysed frames (at least 1); 0 when the identity at the end is the identity at the start.
Each identity backbone is its own column (the same backbones as CSIM). Lower is better for both.
"""
from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from .card import MetricCard, MetricKind
from .face_backbones import IDENTITY_BACKBONES, pick
from .temporal import MIN_FRAMES, ClipValue, TemporalMetric, series


def unit_rows(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def consistency(embeddings: np.ndarray) -> float:
    e = unit_rows(embeddings)
    mean = e.mean(axis=0)
    mean /= np.linalg.norm(mean)
    return float(np.mean(1.0 - np.clip(e @ mean, -1.0, 1.0)))  # rounding can push cos past 1


def drift(embeddings: np.ndarray) -> float:
    e = unit_rows(embeddings)
    w = max(1, len(e) // 4)
    a, b = e[:w].mean(axis=0), e[-w:].mean(axis=0)
    return float(1.0 - np.clip(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)), -1.0, 1.0))


class _IdentitySeries(TemporalMetric):
    defaults: ClassVar[dict[str, Any]] = {"backbone": "buffalo_l"}
    statistic: ClassVar[Any]

    def validate_options(self) -> None:
        pick(IDENTITY_BACKBONES, self.options["backbone"], self.name)

    @property
    def instance_card(self):
        return super().instance_card.with_options(backbone=IDENTITY_BACKBONES[self.options["backbone"]].ref())

    def clip_value(self, ctx) -> ClipValue | str:
        records = ctx.analysis.run(IDENTITY_BACKBONES[self.options["backbone"]].analysis, ctx.pred)
        emb = series(records, lambda r: r["embedding"])
        ok = np.all(np.isfinite(emb.reshape(len(emb), -1)), axis=1) if len(emb) else np.zeros(0, bool)
        if ok.sum() < MIN_FRAMES:
            first = next((r.missing for r in records if not r.ok), None)
            return self.too_short(int(ok.sum()), "a face") + (f" (first: {first})" if first else "")
        return ClipValue(type(self).statistic(emb[ok]), int(ok.sum()), {"frames_without_face": int((~ok).sum())})


def _card(name: str, description: str) -> MetricCard:
    return MetricCard(name=name, version="1.0", higher_is_better=False, range=(0.0, 2.0), unit="1 − cos",
                      kind=MetricKind.TEMPORAL, inputs=("pred video",),
                      preprocessing="the identity backbone's own detection and alignment (as CSIM); frames without a face are left out",
                      description=description, aggregation="mean over clips",
                      backbone=IDENTITY_BACKBONES["buffalo_l"].ref(),
                      references=("THEval (identity consistency)", "VBench subject consistency"))


class IdentityConsistency(_IdentitySeries):
    statistic = staticmethod(consistency)
    card = _card("identity_consistency", "Mean over frames of 1 − cos(identity embedding, the clip's mean identity direction).")


class IdentityDrift(_IdentitySeries):
    statistic = staticmethod(drift)
    card = _card("identity_drift", "1 − cos between the mean identity of the clip's first and last quarter of frames.")
