"""Audio-visual metrics that produce one number per video from a shared per-video analysis.

A subclass names the analysis result's attribute it reports (`field`) and implements
`item_result(ctx)`, which returns the analysis (computed once per item and cached by the analysis
module, so sibling metrics share it) or a string: the reason the item cannot be scored. Such items
are recorded as missing, never as 0.
"""
from __future__ import annotations

import abc
import hashlib
import json
from collections import OrderedDict
from pathlib import Path
from typing import Any, Callable, ClassVar

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


# -- one analysis per video, shared by sibling metrics -----------------------------------------------
_SHARED: "OrderedDict[str, Any]" = OrderedDict()
_MAX_SHARED = 16


def file_identity(path: str | Path | None) -> list:
    """(resolved path, size, mtime) for a file; the raw value otherwise (cache keys, not content hashes)."""
    if not path or not Path(path).is_file():
        return [None if path is None else str(path)]
    st = Path(path).stat()
    return [str(Path(path).resolve()), st.st_size, st.st_mtime_ns]


def cached_analysis(ctx, namespace: str, key_parts: list, compute: Callable[[], Any],
                    missing: tuple[type[BaseException], ...] = ()) -> Any:
    """compute() once per item and key: kept in ctx.meta[namespace], and in a small in-process cache when
    the prediction is a file (so separately created metrics on the same video share it). Exceptions of
    the `missing` types become their message: the item's missing reason."""
    key = hashlib.sha256(json.dumps([namespace, file_identity(ctx.pred.origin), key_parts], default=str).encode()).hexdigest()
    per_item = ctx.meta.setdefault(namespace, {})
    if key in per_item:
        return per_item[key]
    shareable = bool(ctx.pred.origin) and Path(ctx.pred.origin).is_file()
    if shareable and key in _SHARED:
        _SHARED.move_to_end(key)
        per_item[key] = _SHARED[key]
        return per_item[key]
    try:
        result = compute()
    except missing as exc:
        result = str(exc)
    per_item[key] = result
    if shareable:
        _SHARED[key] = result
        while len(_SHARED) > _MAX_SHARED:
            _SHARED.popitem(last=False)
    return result
