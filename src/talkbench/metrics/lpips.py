"""LPIPS (v0.1, AlexNet by default; VGG optional) per frame pair, averaged over frames.

Inputs are RGB in [0,1], mapped to [−1,1] (2x−1, as lpips' normalize=True), no resize; the trunk is the
torchvision file (sha256-verified) and the linear heads are the lpips package's shipped v0.1 files.
"""
from __future__ import annotations

from typing import Any, ClassVar

import torch

from ..nets.lpips import VARIANTS, LPIPSNetwork
from ..weights.store import get_weights_spec
from .base import PairedFrameMetric
from .card import BackboneRef, MetricCard, MetricKind

RANDOM_INIT_LABEL = "random-init-test"


def lpips_backbone(net: str, trunk_sha: str | None = None, heads_sha: str | None = None) -> BackboneRef:
    variant = VARIANTS[net]
    trunk, heads = get_weights_spec(variant.trunk_weights), get_weights_spec(variant.heads_weights)
    return BackboneRef(
        heads.backbone, f"{trunk.file}+{heads.file}",
        f"{trunk_sha or trunk.sha256}+{heads_sha or heads.sha256}",
    )


class LPIPS(PairedFrameMetric):
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
        self._net: LPIPSNetwork | None = None
        self._shas: tuple[str, str] | None = None
        super().__init__(**options)

    @classmethod
    def with_network(cls, network: LPIPSNetwork, trunk_sha256: str = RANDOM_INIT_LABEL,
                     heads_sha256: str = RANDOM_INIT_LABEL, **options: Any) -> "LPIPS":
        options.setdefault("net", network.net_name)
        metric = cls(**options)
        metric._net, metric._shas = network.eval(), (trunk_sha256, heads_sha256)
        return metric

    def validate_options(self) -> None:
        if self.options["net"] not in VARIANTS:
            raise ValueError(f"net must be one of {sorted(VARIANTS)}, got {self.options['net']!r}")

    def network(self) -> LPIPSNetwork:
        if self._net is None:
            from ..nets.lpips import load_lpips

            loaded = load_lpips(self.options["net"])  # MissingWeightsError when the trunk is absent
            self._net, self._shas = loaded.network, (loaded.trunk_sha256, loaded.heads_sha256)
        return self._net

    @torch.no_grad()
    def score_frames(self, pred: torch.Tensor, gt: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        net = self.network()
        return net(pred.float() * 2.0 - 1.0, gt.float() * 2.0 - 1.0).double()

    def update_item(self, ctx):
        self.network()  # missing weights: fail before decoding frames
        return super().update_item(ctx)

    @property
    def instance_card(self) -> MetricCard:
        shas = self._shas or (None, None)
        return super().instance_card.with_options(backbone=lpips_backbone(self.options["net"], *shas))
