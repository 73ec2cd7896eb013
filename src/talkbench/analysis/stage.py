"""FrameAnalysis: the one stage that runs networks on evaluation frames, batched and cached.

The protocol runner puts one FrameAnalysis in ``ItemContext.analysis``; metrics ask it for named
analyses (see talkbench.analysis.registry) and only read the records::

    recs = ctx.analysis.run("landmarks:mediapipe-68", ctx.pred)            # one record per frame
    recs[i].value["points"] or recs[i].missing  # "no face detected (...)"
    feats = ctx.analysis.run("inception", ctx.pred)                         # pool3 features per frame
    dist = ctx.analysis.run_pairs("lpips:alex", pred, ref)                  # one record per pair
    rec = ctx.analysis.run_clip("syncnet", Clip(frames, fps, audio), mode="track")  # one per clip

Networks come from the process's backbone pool (talkbench.nets.pool), so each loads once per
process. Records are cached in memory (per frame, least recently used first out) and on disk (one
.npz per clip and analyser, see talkbench.analysis.cache), keyed by content hash and the analyser's
fingerprint. A frame without a face is a record with a missing reason, never a zero.
"""
from __future__ import annotations

from collections import OrderedDict
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from .base import Analyser, ClipAnalyser, FrameAnalyser, PairAnalyser
from .cache import ClipCache, default_cache_dir, frame_hash, record_key
from .clip import Clip
from .records import FrameRecord
from .registry import make_analyser

_DEFAULT = object()


class FrameAnalysis:
    def __init__(self, cache_dir: str | Path | None | object = _DEFAULT, batch_size: int = 32,
                 memory_bytes: int = 256 * 2**20):
        """cache_dir: a folder, None for no disk cache, or the default $TALKBENCH_HOME/cache/analysis;
        memory_bytes: how much of the records' arrays stay in memory (least recently used leave first)."""
        self.cache = ClipCache(default_cache_dir() if cache_dir is _DEFAULT else cache_dir)
        self.batch_size = batch_size
        self.memory_bytes = memory_bytes
        self._analysers: dict[tuple, Analyser] = {}
        self._fingerprints: dict[tuple, dict[str, Any]] = {}
        self._memory: OrderedDict[str, tuple[FrameRecord, int]] = OrderedDict()
        self._held = 0
        self.stats = {"computed": 0, "disk_hits": 0, "memory_hits": 0}

    # -- analysers and their fingerprints ---------------------------------------------------------
    def analyser(self, name: str, **options: Any) -> Analyser:
        key = (name, tuple(sorted(options.items())))
        if key not in self._analysers:
            a = make_analyser(name, **options)
            canonical = (a.name, key[1])
            self._analysers[key] = self._analysers.setdefault(canonical, a)  # defaults filled in: one instance
        return self._analysers[key]

    def fingerprint(self, name: str, **options: Any) -> dict[str, Any]:
        a = self.analyser(name, **options)
        key = (a.name, tuple(sorted(options.items())))
        if key not in self._fingerprints:
            fp = a.fingerprint()  # MissingWeightsError before any work when weights are absent
            if a.needs:
                fp["input"] = self.fingerprint(a.needs)
            self._fingerprints[key] = fp
        return self._fingerprints[key]

    # -- the three kinds of analysis --------------------------------------------------------------
    def run(self, name: str, frames: Any) -> list[FrameRecord]:
        """Records of frame analysis `name`, one per frame (a FrameSet, a sequence of uint8 H×W×3 RGB
        arrays, or, for image networks, an N×3×H×W float tensor in [0,1])."""
        a = self.analyser(name)
        if not isinstance(a, FrameAnalyser):
            raise TypeError(f"'{name}' is a {a.arity} analysis; use run_pairs / run_clip")
        fp = self.fingerprint(name)  # MissingWeightsError before any frame is decoded
        arrays = _arrays(frames, a)
        keys = [record_key(frame_hash(f), fp) for f in arrays]

        def compute(todo: list[int]) -> list[FrameRecord]:
            inputs = self.run(a.needs, [arrays[i] for i in todo]) if a.needs else None
            out: list[FrameRecord] = []
            for start in range(0, len(todo), self.batch_size):
                batch = [arrays[i] for i in todo[start:start + self.batch_size]]
                out += a.analyse(batch, None if inputs is None else inputs[start:start + self.batch_size])
            return out

        return self._records(a, keys, compute)

    def run_pairs(self, name: str, frames: Any, refs: Any) -> list[FrameRecord]:
        """Records of pair analysis `name` for (frames[i], refs[i])."""
        a = self.analyser(name)
        if not isinstance(a, PairAnalyser):
            raise TypeError(f"'{name}' is a {a.arity} analysis; use run / run_clip")
        fp = self.fingerprint(name)
        xs, ys = _arrays(frames, a), _arrays(refs, a)
        if len(xs) != len(ys):
            raise ValueError(f"{len(xs)} frames but {len(ys)} reference frames")
        keys = [record_key(f"{frame_hash(x)}|{frame_hash(y)}", fp) for x, y in zip(xs, ys)]

        def compute(todo: list[int]) -> list[FrameRecord]:
            out: list[FrameRecord] = []
            for start in range(0, len(todo), self.batch_size):
                idx = todo[start:start + self.batch_size]
                out += a.analyse_pairs([xs[i] for i in idx], [ys[i] for i in idx])
            return out

        return self._records(a, keys, compute)

    def run_clip(self, name: str, clip: Clip, **options: Any) -> FrameRecord:
        """The record of clip analysis `name` (with its options) for a whole clip."""
        a = self.analyser(name, **options)
        if not isinstance(a, ClipAnalyser):
            raise TypeError(f"'{name}' is a {a.arity} analysis; use run / run_pairs")
        key = record_key(clip.content_hash(), self.fingerprint(name, **options))
        return self._records(a, [key], lambda todo: [a.analyse_clip(clip, self)])[0]

    # -- memory + disk ------------------------------------------------------------------------------
    def _records(self, a: Analyser, keys: list[str], compute: Callable[[list[int]], list[FrameRecord]]
                 ) -> list[FrameRecord]:
        out: list[FrameRecord | None] = []
        for key in keys:
            held = self._memory.get(key)
            if held is not None:
                self._memory.move_to_end(key)
                self.stats["memory_hits"] += 1
            out.append(None if held is None else held[0])
        if all(rec is not None for rec in out):
            return out  # type: ignore[return-value]
        stored = self.cache.get(a.name, keys)
        if stored is not None:
            self.stats["disk_hits"] += sum(rec is None for rec in out)
            for key, rec in zip(keys, stored):
                self._remember(key, rec)
            return stored
        # identical frames inside one call are computed once
        first: dict[str, int] = {}
        for i, rec in enumerate(out):
            if rec is None:
                first.setdefault(keys[i], i)
        todo = list(first.values())
        recs = compute(todo)
        if len(recs) != len(todo):
            raise RuntimeError(f"analyser {a.name} returned {len(recs)} records for {len(todo)} inputs")
        fresh = dict(zip((keys[i] for i in todo), recs))
        self.stats["computed"] += len(recs)
        result = [rec if rec is not None else fresh[keys[i]] for i, rec in enumerate(out)]
        for key, rec in fresh.items():
            self._remember(key, rec)
        self.cache.put(a.name, keys, result)
        return result

    def _remember(self, key: str, rec: FrameRecord) -> None:
        if key in self._memory:
            self._held -= self._memory.pop(key)[1]
        size = _nbytes(rec.value) + 256
        self._memory[key] = (rec, size)
        self._held += size
        while self._held > self.memory_bytes and len(self._memory) > 1:
            self._held -= self._memory.popitem(last=False)[1][1]


_SHARED: dict[str, FrameAnalysis] = {}


def default_analysis() -> FrameAnalysis:
    """The process's FrameAnalysis for the current $TALKBENCH_HOME cache folder (shared by the
    runner's items and by metrics used directly, so every frame is analysed once per process)."""
    root = str(default_cache_dir())
    if root not in _SHARED:
        _SHARED[root] = FrameAnalysis(root)
    return _SHARED[root]


def _nbytes(value: Any) -> int:
    if isinstance(value, np.ndarray):
        return value.nbytes
    if isinstance(value, dict):
        return sum(_nbytes(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return sum(_nbytes(v) for v in value)
    return 0


def _arrays(frames: Any, analyser: Analyser) -> list[np.ndarray]:
    if hasattr(frames, "arrays"):
        frames = frames.arrays
    if hasattr(frames, "detach"):  # an N×3×H×W (or 3×H×W) tensor in [0,1]
        t = frames.detach().cpu()
        if t.dim() == 3:
            t = t.unsqueeze(0)
        if t.dim() != 4 or t.shape[1] != 3:
            raise ValueError(f"expected N×3×H×W RGB images, got {tuple(t.shape)}")
        arrays = list(t.numpy())
    else:
        arrays = [np.asarray(f) for f in frames] if isinstance(frames, Sequence) else [np.asarray(f) for f in list(frames)]
    for f in arrays:
        face_frame = f.dtype == np.uint8 and f.ndim == 3 and f.shape[2] == 3
        float_image = analyser.accepts_float and f.dtype.kind == "f" and f.ndim == 3 and f.shape[0] == 3
        if not (face_frame or float_image):
            kinds = "uint8 H×W×3 RGB frames" + (" or float 3×H×W images in [0,1]" if analyser.accepts_float else "")
            raise ValueError(f"analysis {analyser.name} takes {kinds}, got {f.dtype} {f.shape}")
    return arrays
