"""Audio-visual metrics that produce one number per video from a shared per-video analysis.

A subclass names the analysis result's attribute it reports (`field`) and implements
`item_result(ctx)`, which derives its result from a clip analysis record of ctx.analysis (computed
once per clip and cached by the analysis stage, so sibling metrics share it) or returns a string:
the reason the item cannot be scored. Such items
are recorded as missing, never as 0.
"""
from __future__ import annotations

import abc
from typing import Any, ClassVar

import numpy as np

from .base import Metric, MetricValue, Reduction, StateField, mean_or_none


class PerVideoMetric(Metric):
    field: ClassVar[str]

    state_fields = (
        StateField("_values", Reduction.CAT, "one float64 value per scored video"),
        StateField("_missing", Reduction.ITEMS, "the reason of each video that could not be scored"),
    )

    def update(self, result: Any) -> float | None:
        """Record one video's analysis (or its missing reason); returns the value or None."""
        if isinstance(result, str):
            self._missing.append(result)
            return None
        value = float(getattr(result, self.field))
        self._values.append(np.array([value], dtype=np.float64))
        return value

    def compute(self) -> MetricValue:
        v = np.concatenate(self._values) if self._values else np.zeros(0)
        return MetricValue(self.name, mean_or_none(v), int(v.size), v.tolist(), {"n_missing": len(self._missing)})

    @abc.abstractmethod
    def item_result(self, ctx) -> Any:
        """The shared per-video analysis for this item, or a missing reason (str)."""

    def item_extra(self, result: Any) -> dict[str, Any]:
        return {}

    def item_frames(self, result: Any) -> int:
        return 0

    def update_item(self, ctx):
        from .context import ItemScore

        result = self.item_result(ctx)
        value = self.update(result)
        if value is None:
            return ItemScore(None, 0, extra={"missing_reason": result})
        return ItemScore(value, self.item_frames(result), extra=self.item_extra(result))
