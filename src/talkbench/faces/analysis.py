"""FrameAnalysis: run each face backbone once per frame, in batches, cached on disk.

The protocol runner puts one FrameAnalysis in ``ItemContext.analysis``; metrics ask it for named
analyses (see talkbench.faces.analysers) of a FrameSet or a list of frames::

    recs = ctx.analysis.run("landmarks:mediapipe-68", ctx.pred)
    recs[i].value["points"] or recs[i].missing  # "no face detected (...)"

Results are cached in memory and on disk (``$TALKBENCH_HOME/cache/faces``), keyed by the frame's
content hash and the analyser's fingerprint (backbone id, weights sha256, preprocessing version,
and those of its inputs). A frame without a face is a record with a missing reason, never a zero.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np

from .analysers import Analyser, make_analyser
from .cache import RecordCache, default_cache_dir, frame_hash, record_key
from .records import FrameRecord

_DEFAULT = object()


class FrameAnalysis:
    def __init__(self, cache_dir: str | Path | None | object = _DEFAULT, batch_size: int = 32):
        """cache_dir: a folder, None for no disk cache, or the default $TALKBENCH_HOME/cache/faces."""
        self.cache = RecordCache(default_cache_dir() if cache_dir is _DEFAULT else cache_dir)
        self.batch_size = batch_size
        self._analysers: dict[str, Analyser] = {}
        self._fingerprints: dict[str, dict[str, Any]] = {}
        self._memory: dict[str, FrameRecord] = {}
        self.stats = {"computed": 0, "disk_hits": 0, "memory_hits": 0}

    def analyser(self, name: str) -> Analyser:
        if name not in self._analysers:
            a = make_analyser(name)
            self._analysers[name] = a
            if a.name != name:  # canonical name (defaults filled in) shares the instance
                self._analysers.setdefault(a.name, a)
                self._analysers[name] = self._analysers[a.name]
        return self._analysers[name]

    def fingerprint(self, name: str) -> dict[str, Any]:
        a = self.analyser(name)
        if a.name not in self._fingerprints:
            fp = a.fingerprint()
            if a.needs:
                fp["input"] = self.fingerprint(a.needs)
            self._fingerprints[a.name] = fp
        return self._fingerprints[a.name]

    def run(self, name: str, frames: Any) -> list[FrameRecord]:
        """Records of analysis `name` for each frame (a FrameSet or a sequence of uint8 H×W×3 RGB arrays)."""
        arrays = _arrays(frames)
        a = self.analyser(name)
        fp = self.fingerprint(name)  # raises MissingWeightsError before any work when weights are absent
        hashes = [frame_hash(f) for f in arrays]
        keys = [record_key(h, fp) for h in hashes]
        out: list[FrameRecord | None] = []
        todo: list[int] = []
        for i, key in enumerate(keys):
            rec = self._memory.get(key)
            if rec is not None:
                self.stats["memory_hits"] += 1
            else:
                rec = self.cache.get(a.name, key)
                if rec is not None:
                    self.stats["disk_hits"] += 1
                    self._memory[key] = rec
            out.append(rec)
            if rec is None:
                todo.append(i)
        if todo:
            # identical frames inside one call are computed once
            first: dict[str, int] = {}
            for i in todo:
                first.setdefault(keys[i], i)
            unique = list(first.values())
            inputs = self.run(a.needs, [arrays[i] for i in unique]) if a.needs else None
            for start in range(0, len(unique), self.batch_size):
                idx = unique[start:start + self.batch_size]
                batch_inputs = None if inputs is None else inputs[start:start + self.batch_size]
                recs = a.analyse([arrays[i] for i in idx], batch_inputs)
                if len(recs) != len(idx):
                    raise RuntimeError(f"analyser {a.name} returned {len(recs)} records for {len(idx)} frames")
                for i, rec in zip(idx, recs):
                    self._memory[keys[i]] = rec
                    self.cache.put(a.name, keys[i], rec)
                    self.stats["computed"] += 1
            for i in todo:
                out[i] = self._memory[keys[i]]
        return out  # type: ignore[return-value]


def _arrays(frames: Any) -> list[np.ndarray]:
    if hasattr(frames, "arrays"):
        frames = frames.arrays
    arrays = [np.asarray(f) for f in frames] if isinstance(frames, Sequence) or isinstance(frames, list) else list(frames)
    for f in arrays:
        if f.dtype != np.uint8 or f.ndim != 3 or f.shape[2] != 3:
            raise ValueError(f"face analysis takes uint8 H×W×3 RGB frames, got {f.dtype} {f.shape}")
    return arrays
