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
from .feature_sets import FeatureSetMetric
from .card import BackboneRef, MetricCard

ANALYSIS = "inception"


def inception_features(analysis: Any, frames: Any) -> np.ndarray:
    """N×2048 float64 pool3 features of frames (FrameSet, uint8 arrays or an N×3×H×W tensor in [0,1])."""
    recs = analysis.run(ANALYSIS, frames)
    return np.stack([r["pool3"] for r in recs]) if recs else np.zeros((0, 0))


class InceptionSetMetric(AnalysisReader, FeatureSetMetric):
    weights_id: ClassVar[str] = "pt_inception"

    def __init__(self, **options: Any):
        self._weights_sha256: str | None = None
        super().__init__(**options)

    def _read(self, analysis: Any, frames: Any, real: bool) -> None:
        self._weights_sha256 = analysis.fingerprint(ANALYSIS)["weights_sha256"]  # MissingWeightsError first
        feats = inception_features(analysis, frames)
        if len(feats):
            self.add_features(feats, real)

    def update(self, images: Any, real: bool) -> None:
        """Add images (an N×3×H×W tensor in [0,1], uint8 H×W×3 arrays or a FrameSet) to one set."""
        self._read(self.analysis, images, real)

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
