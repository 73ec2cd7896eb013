"""Set-level metrics on per-frame (or per-window) network features: a real and a generated set.

Declared state: the features of each set, float32 as the networks give them, merged by concatenation;
metrics read them in a canonical row order (independent of item, shard or resume order) and in float64.
The protocol's `real` option names the item role that forms the real set (gt, source or driving).
"""
from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from .base import Metric, Reduction, StateField, canonical_rows

REAL_ROLES = ("gt", "source", "driving")


class FeatureSetMetric(Metric):
    defaults: ClassVar[dict[str, Any]] = {"real": "gt"}
    state_fields = (
        StateField("_real", Reduction.CAT, "N×D float32 features of the real frames (or windows)"),
        StateField("_fake", Reduction.CAT, "N×D float32 features of the generated frames (or windows)"),
    )

    def validate_options(self) -> None:
        if self.options["real"] not in REAL_ROLES:
            raise ValueError(f"real must be one of {REAL_ROLES}, got {self.options['real']!r}")

    def add_features(self, features: np.ndarray, real: bool) -> None:
        """Accumulate N×D features (stored float32, the networks' precision) into the real or the fake set."""
        feats = np.asarray(features, dtype=np.float32)
        if feats.ndim != 2:
            raise ValueError(f"features must be N×D, got {feats.shape}")
        (self._real if real else self._fake).append(feats)

    def feature_sets(self) -> tuple[np.ndarray, np.ndarray]:
        """(real, fake) float64 feature matrices in canonical row order (independent of arrival order)."""
        return canonical_rows(self._real), canonical_rows(self._fake)
