"""Shared machinery of the set-level Inception metrics (FID, KID): the two sets and their features.

The "real" set and the "fake" set are stated by the protocol: `update(images, real=...)` adds frames to
one of them, and `update_item(ctx)` adds the item's prediction as fake and its `real` role (gt by
default, or source / driving) as real. Features are the `inception` analysis records (pool3, float64)
of the item's FrameAnalysis, so FID and KID on one run share one Inception pass per frame; with the
official weights absent, `update_item` raises MissingWeightsError and the runner records the item
as missing.
"""
from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from ..weights.store import get_weights_spec
from .analysis_reader import AnalysisReader
from .base import Metric, Reduction, StateField, canonical_rows
from .card import BackboneRef, MetricCard

REAL_ROLES = ("gt", "source", "driving")
ANALYSIS = "inception"


def inception_features(analysis: Any, frames: Any) -> np.ndarray:
    """N×2048 float64 pool3 features of frames (FrameSet, uint8 arrays or an N×3×H×W tensor in [0,1])."""
    recs = analysis.run(ANALYSIS, frames)
    return np.stack([r["pool3"] for r in recs]) if recs else np.zeros((0, 0))


class InceptionSetMetric(AnalysisReader, Metric):
    defaults: ClassVar[dict[str, Any]] = {"real": "gt"}
    weights_id: ClassVar[str] = "pt_inception"

    def __init__(self, **options: Any):
        self._weights_sha256: str | None = None
        super().__init__(**options)

    def validate_options(self) -> None:
        if self.options["real"] not in REAL_ROLES:
            raise ValueError(f"real must be one of {REAL_ROLES}, got {self.options['real']!r}")

    def _read(self, analysis: Any, frames: Any, real: bool) -> None:
        self._weights_sha256 = analysis.fingerprint(ANALYSIS)["weights_sha256"]  # MissingWeightsError first
        feats = inception_features(analysis, frames)
        if len(feats):
            self.add_features(feats, real)

    def update(self, images: Any, real: bool) -> None:
        """Add images (an N×3×H×W tensor in [0,1], uint8 H×W×3 arrays or a FrameSet) to one set."""
        self._read(self.analysis, images, real)

    #: per-frame pool3 features of each set, float32 as the network gives them (8 KiB a frame; a per-item
    #: state never holds a 2048² moment matrix); FID and KID read them in a canonical order, in float64
    state_fields = (
        StateField("_real", Reduction.CAT, "N×2048 float32 Inception pool3 features of the real frames"),
        StateField("_fake", Reduction.CAT, "N×2048 float32 Inception pool3 features of the generated frames"),
    )

    def add_features(self, features: np.ndarray, real: bool) -> None:
        """Accumulate N×D features (stored float32, the network's precision) into the real or the fake set."""
        feats = np.asarray(features, dtype=np.float32)
        if feats.ndim != 2:
            raise ValueError(f"features must be N×D, got {feats.shape}")
        (self._real if real else self._fake).append(feats)

    def feature_sets(self) -> tuple[np.ndarray, np.ndarray]:
        """(real, fake) float64 feature matrices in canonical row order (independent of arrival order)."""
        return canonical_rows(self._real), canonical_rows(self._fake)

    def update_item(self, ctx):
        from .context import ItemScore

        ref = ctx.reference(self.options["real"])
        for frames, real in ((ctx.pred, False), (ref, True)):
            self._read(ctx.analysis, frames, real)
        return ItemScore(None, len(ctx.pred), extra={"real_frames": len(ref)})

    @property
    def instance_card(self) -> MetricCard:
        spec = get_weights_spec(self.weights_id)
        sha = self._weights_sha256 or spec.sha256
        return super().instance_card.with_options(backbone=BackboneRef(spec.backbone, spec.file, sha))


def inception_backbone() -> BackboneRef:
    spec = get_weights_spec(InceptionSetMetric.weights_id)
    return BackboneRef(spec.backbone, spec.file, spec.sha256)


INCEPTION_PREPROCESSING = (
    "RGB in [0,1], bilinear resize to 299×299 (align_corners=False, no antialias), then 2x−1 to [−1,1] "
    "(pytorch-fid); pool3 features, 2048-d"
)
