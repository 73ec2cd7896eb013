"""What an analyser is: a named, fingerprinted computation on frames, frame pairs or whole clips.

  FrameAnalyser   one record per frame; may consume another frame analysis (`needs`)
  PairAnalyser    one record per (frame, reference frame) pair (LPIPS distances)
  ClipAnalyser    one record per clip: frames + fps + audio (SyncNet windows, mouth vs audio series)

The fingerprint (backbone id, weights sha256, preprocessing version, options, and that of every
analysis consumed) is part of every cache key, so a different backbone, file or option never
reuses a cached result.
"""
from __future__ import annotations

import abc
from typing import TYPE_CHECKING, Any, Callable, ClassVar

import numpy as np

from .records import FrameRecord

if TYPE_CHECKING:
    from .clip import Clip
    from .stage import FrameAnalysis


class Analyser(abc.ABC):
    name: str
    arity: ClassVar[str]
    needs: str | None = None
    preprocessing_version: str = "1"
    #: whether float C×H×W frames in [0,1] are accepted (image networks); face analysers take uint8 RGB
    accepts_float: ClassVar[bool] = False

    @abc.abstractmethod
    def backbone_fingerprint(self) -> dict[str, Any]:
        """{"id": ..., "weights_sha256": ...} of what runs here (may raise MissingWeightsError)."""

    def options_fingerprint(self) -> dict[str, Any]:
        """Options that change the result (none by default)."""
        return {}

    def fingerprint(self) -> dict[str, Any]:
        fp = {"name": self.name, "preprocessing_version": self.preprocessing_version, **self.backbone_fingerprint()}
        options = self.options_fingerprint()
        if options:
            fp["options"] = options
        return fp


class FrameAnalyser(Analyser):
    arity = "frame"

    @abc.abstractmethod
    def analyse(self, frames: list[np.ndarray], inputs: list[FrameRecord] | None) -> list[FrameRecord]: ...


class PairAnalyser(Analyser):
    arity = "pair"

    @abc.abstractmethod
    def analyse_pairs(self, frames: list[np.ndarray], refs: list[np.ndarray]) -> list[FrameRecord]: ...


class ClipAnalyser(Analyser):
    arity = "clip"

    @abc.abstractmethod
    def analyse_clip(self, clip: "Clip", stage: "FrameAnalysis") -> FrameRecord:
        """One record for the clip; frame analyses it builds on go through `stage` (cached, shared)."""


def passthrough_missing(inputs: list[FrameRecord], run: Callable[[int], FrameRecord]) -> list[FrameRecord]:
    """Run `run(i)` for frames whose input exists; carry the input's missing reason otherwise."""
    return [run(i) if rec.ok else FrameRecord.missing_because(rec.missing) for i, rec in enumerate(inputs)]
