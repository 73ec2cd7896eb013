"""LPIPS (v0.1, AlexNet by default; VGG optional) per frame pair, averaged over frames.

Inputs are RGB in [0,1], mapped to [−1,1] (2x−1, as lpips' normalize=True), no resize; the trunk is the
torchvision file (sha256-verified) and the linear heads are the lpips package's shipped v0.1 files.
The distances are the `lpips:<net>` pair analysis (talkbench.analysis.image_features): the network
runs in the analysis stage, loaded once per process.
"""
from __future__ import annotations

from typing import Any, ClassVar

import torch

from ..analysis.image_features import LPIPS_VARIANTS as VARIANTS
from ..weights.store import get_weights_spec
from .analysis_reader import AnalysisReader
from .base import PairedFrameMetric
from .card import BackboneRef, MetricCard, MetricKind


def lpips_backbone(net: str, trunk_sha: str | None = None, heads_sha: str | None = None) -> BackboneRef:
    variant = VARIANTS[net]
    trunk, heads = get_weights_spec(variant.trunk_weights), get_weights_spec(variant.heads_weights)
    return BackboneRef(
        heads.backbone, f"{trunk.file}+{heads.file}",
        f"{trunk_sha or trunk.sha256}+{heads_sha or heads.sha256}",
    )


class LPIPS(AnalysisReader, PairedFrameMetric):
    card = MetricCard(
        name="lpips", version="1.0", higher_is_better=False, range=(0.0, None), unit="",
        kind=MetricKind.PAIRED_FRAME, inputs=("pred_frames", "gt_frames"),
        preprocessing="RGB [0,1] → [−1,1] (2x−1), v0.1 ScalingLayer, native resolution, full frame",
        backbone=lpips_backbone("alex"), aggregation="mean of per-frame LPIPS",
        description="Learned perceptual image patch similarity (lpips 0.1.4, version 0.1, spatial=False): unit-"
        "normalised trunk features, squared differences weighted by the linear heads, spatial mean, summed over layers.",
        references=("Zhang et al. 2018", "richzhang/PerceptualSimilarity lpips 0.1.4"),
    )
    defaults: ClassVar[dict[str, Any]] = {"net": "alex", "reference": "gt"}
    batch_size: ClassVar[int] = 8

    def __init__(self, **options: Any):
        self._shas: tuple[str, str] | None = None
        super().__init__(**options)

    def validate_options(self) -> None:
        if self.options["net"] not in VARIANTS:
            raise ValueError(f"net must be one of {sorted(VARIANTS)}, got {self.options['net']!r}")

    def analysis_name(self) -> str:
        return f"lpips:{self.options['net']}"

    def score_frames(self, pred: torch.Tensor, gt: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        """Per-pair distances: the `lpips:<net>` pair analysis records of (pred, gt)."""
        name = self.analysis_name()
        sha = self.analysis.fingerprint(name)["weights_sha256"]  # MissingWeightsError before any work
        trunk, _, heads = sha.partition("+")
        self._shas = (trunk, heads or trunk)  # an injected stand-in has one label for both files
        recs = self.analysis.run_pairs(name, pred, gt)
        return torch.tensor([r["distance"] for r in recs], dtype=torch.float64)

    def update_item(self, ctx):
        self.use_analysis(ctx.analysis)
        self.analysis.fingerprint(self.analysis_name())  # missing weights: fail before decoding frames
        return super().update_item(ctx)

    @property
    def instance_card(self) -> MetricCard:
        shas = self._shas or (None, None)
        return super().instance_card.with_options(backbone=lpips_backbone(self.options["net"], *shas))
