"""Shared base of the temporal metrics: one value per clip, computed from a series of analysis records.

A subclass implements `clip_value(ctx)`, returning a ClipValue or a string (the reason the clip cannot be
scored: recorded as missing, never as 0). Values are means over clips (declared state of PerVideoMetric).
`series(records, read)` turns per-frame records into a float64 array with NaN where a frame has no face.
"""
from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar

import numpy as np

from .per_video import PerVideoMetric

#: a clip needs at least this many analysed frames to have a temporal value
MIN_FRAMES = 4


@dataclass
class ClipValue:
    value: float
    frames: int
    extra: dict[str, Any] = field(default_factory=dict)


def series(records: list, read: Callable[[Any], Any]) -> np.ndarray:
    """read(record) for every record that has a value; NaN rows where the frame could not be analysed."""
    rows = [np.asarray(read(r), dtype=np.float64) if r.ok else None for r in records]
    shape = next((row.shape for row in rows if row is not None), ())
    return np.stack([row if row is not None else np.full(shape, np.nan) for row in rows]) if rows else np.zeros((0,))


def velocities(values: np.ndarray) -> np.ndarray:
    """Differences of consecutive frames where both frames were analysed (rows with NaN are dropped)."""
    d = np.diff(values, axis=0)
    keep = np.all(np.isfinite(d.reshape(len(d), -1)), axis=1) if len(d) else np.zeros(0, dtype=bool)
    return d[keep]


class TemporalMetric(PerVideoMetric):
    field: ClassVar[str] = "value"

    @abc.abstractmethod
    def clip_value(self, ctx) -> ClipValue | str:
        """This clip's value, or the reason it cannot be scored."""

    def item_result(self, ctx) -> ClipValue | str:
        return self.clip_value(ctx)

    def item_frames(self, result: ClipValue) -> int:
        return result.frames

    def item_extra(self, result: ClipValue) -> dict[str, Any]:
        return dict(result.extra)

    def too_short(self, n: int, what: str) -> str:
        return f"{n} frames with {what}: {type(self).__name__} needs at least {MIN_FRAMES}"
