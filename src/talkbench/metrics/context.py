"""What the runner hands a metric for one protocol item.

Frames decode once per item (FrameSet caches its arrays) and face analyses run once per frame and
backbone (``ctx.analysis``, a FrameAnalysis from talkbench.faces, shared by every metric), so twelve
metrics on one clip cost one decode and one forward pass per backbone.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import torch

from ..errors import InputError


class FrameSet:
    """A lazily decoded, cached sequence of uint8 H×W×3 RGB frames with names and its origin."""

    def __init__(self, loader: Callable[[], list[np.ndarray]] | Sequence[np.ndarray], names: Sequence[str] | None = None,
                 origin: str = "", fps: float | None = None):
        self._loader = loader if callable(loader) else None
        self._arrays: list[np.ndarray] | None = None if callable(loader) else list(loader)
        self._names = list(names) if names is not None else None
        self.origin = origin
        self.fps = fps

    @classmethod
    def from_path(cls, path: str | Path, fps: float | None = None) -> "FrameSet":
        from ..io.frames import open_frames

        src = open_frames(path)

        def load() -> list[np.ndarray]:
            arrays = []
            for fr in src:
                if fr.error:
                    raise InputError(fr.path, fr.error, "re-export or replace the frame")
                arrays.append(fr.array)
            return arrays

        return cls(load, src.names(), origin=str(path), fps=fps or getattr(src, "info", {}).get("fps"))

    @property
    def arrays(self) -> list[np.ndarray]:
        if self._arrays is None:
            self._arrays = self._loader()
        return self._arrays

    @property
    def names(self) -> list[str]:
        return self._names if self._names is not None else [f"frame_{i:06d}" for i in range(len(self))]

    def __len__(self) -> int:
        return len(self._names) if self._arrays is None and self._names is not None else len(self.arrays)

    def tensor(self, index: slice | Sequence[int] | None = None, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        from ..io.frames import to_batch

        arrs = self.arrays
        if index is None:
            sel = arrs
        elif isinstance(index, slice):
            sel = arrs[index]
        else:
            sel = [arrs[i] for i in index]
        return to_batch(sel, dtype)


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
    analysis: Any = None  # talkbench.faces FrameAnalysis (decode once, detect once, cache)
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
