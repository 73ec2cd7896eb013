"""Shared machinery of the set-level Inception metrics (FID, KID): the network, batching, the two sets.

The "real" set and the "fake" set are stated by the protocol: `update(images, real=...)` adds frames to
one of them, and `update_item(ctx)` adds the item's prediction as fake and its `real` role (gt by
default, or source / driving) as real. The official weights load lazily, on the first frames; with
them absent, `update_item` raises MissingWeightsError and the runner records the item as missing.
"""
from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import torch

from ..weights.store import get_weights_spec, verified_weights
from .base import Metric, Reduction, StateField, canonical_rows
from .card import BackboneRef, MetricCard

REAL_ROLES = ("gt", "source", "driving")
RANDOM_INIT_LABEL = "random-init-test"


class InceptionSetMetric(Metric):
    defaults: ClassVar[dict[str, Any]] = {"real": "gt"}
    weights_id: ClassVar[str] = "pt_inception"
    batch_size: ClassVar[int] = 16

    def __init__(self, **options: Any):
        self._net: torch.nn.Module | None = None
        self._weights_sha256: str | None = None
        super().__init__(**options)

    @classmethod
    def with_network(cls, network: torch.nn.Module, weights_sha256: str = RANDOM_INIT_LABEL, **options: Any):
        """A metric running an explicit network (tests); the card records `weights_sha256` as given."""
        metric = cls(**options)
        metric._net = network.eval()
        metric._weights_sha256 = weights_sha256
        return metric

    def validate_options(self) -> None:
        if self.options["real"] not in REAL_ROLES:
            raise ValueError(f"real must be one of {REAL_ROLES}, got {self.options['real']!r}")

    def network(self) -> torch.nn.Module:
        if self._net is None:
            from ..nets.inception_fid import load_fid_inception

            found = verified_weights(self.weights_id)  # MissingWeightsError / WeightsMismatchError
            self._net = load_fid_inception(str(found.path), found.sha256)
            self._weights_sha256 = found.sha256
        return self._net

    @torch.no_grad()
    def features(self, images: torch.Tensor) -> np.ndarray:
        """N×3×H×W RGB in [0,1] → N×2048 float64 pool3 features (computed in float32, batch by batch)."""
        if images.dim() == 3:
            images = images.unsqueeze(0)
        if images.dim() != 4 or images.shape[1] != 3:
            raise ValueError(f"expected N×3×H×W RGB images, got {tuple(images.shape)}")
        net = self.network()
        out = [net(images[i:i + self.batch_size].float()).double() for i in range(0, len(images), self.batch_size)]
        return torch.cat(out).numpy() if out else np.zeros((0, 0))

    def update(self, images: torch.Tensor, real: bool) -> None:
        feats = self.features(images)
        if len(feats):
            self.add_features(feats, real)

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
        self.network()  # fail before reading frames when the weights are missing
        for frames, real in ((ctx.pred, False), (ref, True)):
            for start in range(0, len(frames), self.batch_size):
                self.update(frames.tensor(slice(start, start + self.batch_size)), real=real)
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
