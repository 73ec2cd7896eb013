"""What the runner hands a metric for one protocol item.

Frames decode once per item (FrameSet caches its arrays) and every network runs in the analysis
stage (``ctx.analysis``, a talkbench.analysis FrameAnalysis shared by every metric), so twelve
metrics on one clip cost one decode and one forward pass per backbone.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


from ..errors import InputError
from ..io.frameset import FrameSet


def _default_analysis() -> Any:
    from ..analysis.stage import default_analysis

    return default_analysis()


@dataclass
class ItemContext:
    """One protocol item: the prediction and whatever references the protocol defines for it."""

    item_id: str
    pred: FrameSet
    gt: FrameSet | None = None  # ground truth aligned frame-by-frame with pred (self-reenactment)
    source: FrameSet | None = None  # the source (identity) image(s)
    driving: FrameSet | None = None  # the driving frames (cross-reenactment)
    masks: FrameSet | None = None  # GT alpha mattes, for masked metrics
    audio: Path | None = None  # the driving audio (wav or a video with an audio track)
    fps: float | None = None
    analysis: Any = field(default_factory=_default_analysis)  # talkbench.analysis FrameAnalysis (cached records)
    meta: dict[str, Any] = field(default_factory=dict)

    def reference(self, role: str) -> FrameSet:
        ref = getattr(self, role, None)
        if ref is None:
            raise InputError(None, f"item '{self.item_id}' has no '{role}' frames, which this metric compares against",
                             "use a protocol that provides them, or pick another pair mode")
        return ref


@dataclass
class ItemScore:
    """A metric's result for one item: its value (None for set-level metrics) and how many frames went in."""

    value: float | None
    n_frames: int
    extra: dict[str, Any] = field(default_factory=dict)
    missing_frames: list[tuple[str, str]] = field(default_factory=list)  # (frame name, reason)
