"""On-disk cache of per-frame analysis records.

Key = sha256 of (frame content hash, analyser fingerprint), where the fingerprint names the
backbone id, its weights sha256 and its preprocessing version, and those of every analysis it
consumes (e.g. the detector whose box a landmarker ran on). One small JSON file per (frame,
analyser), written atomically under $TALKBENCH_HOME/cache/faces/<analyser>/<key[:2]>/<key>.json.
"""
from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import numpy as np

from ..io.atomic import atomic_write_text
from .records import FrameRecord


def default_cache_dir() -> Path:
    from ..io.paths import talkbench_home

    return talkbench_home() / "cache" / "faces"


def frame_hash(frame: np.ndarray) -> str:
    frame = np.ascontiguousarray(frame)
    h = hashlib.sha256(f"{frame.dtype.str}{frame.shape}".encode())
    h.update(memoryview(frame).cast("B"))
    return h.hexdigest()


def record_key(content_hash: str, fingerprint: dict[str, Any]) -> str:
    text = json.dumps({"frame": content_hash, "analysis": fingerprint}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name)


class RecordCache:
    def __init__(self, root: str | Path | None):
        self.root = None if root is None else Path(root)

    def path(self, analyser: str, key: str) -> Path:
        assert self.root is not None
        return self.root / _safe(analyser) / key[:2] / f"{key}.json"

    def get(self, analyser: str, key: str) -> FrameRecord | None:
        if self.root is None:
            return None
        p = self.path(analyser, key)
        try:
            return FrameRecord.from_json(json.loads(p.read_text(encoding="utf-8")))
        except FileNotFoundError:
            return None
        except (ValueError, KeyError, TypeError):  # a damaged entry is recomputed, never trusted
            return None

    def put(self, analyser: str, key: str, record: FrameRecord) -> None:
        if self.root is None:
            return
        atomic_write_text(self.path(analyser, key), json.dumps(record.to_json(), allow_nan=False))
