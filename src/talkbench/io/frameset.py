"""FrameSet: a lazily decoded, cached sequence of uint8 H×W×3 RGB frames with names and an origin."""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Sequence

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
        from .frames import open_frames

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
        from .frames import to_batch

        arrs = self.arrays
        if index is None:
            sel = arrs
        elif isinstance(index, slice):
            sel = arrs[index]
        else:
            sel = [arrs[i] for i in index]
        return to_batch(sel, dtype)
