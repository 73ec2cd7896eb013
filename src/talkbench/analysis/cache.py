"""On-disk cache of analysis records: one array file per clip and analyser.

A record's key = sha256(frame content hash(es), analyser fingerprint), where the fingerprint names
the backbone id, its weights sha256, its preprocessing version and options, and those of every
analysis it consumes. The records of one call (a clip: the frames of one video, or one set of
pairs) are stored together in ONE .npz file, named by the sha256 of the analyser fingerprint and
the ordered record keys, written atomically under
``$TALKBENCH_HOME/cache/analysis/<analyser>/<clip key[:2]>/<clip key>.npz``. The file holds each
record's arrays (float64, as computed) plus a JSON index (``__records__``) of the scalars, strings
and missing reasons; it is read with ``allow_pickle=False``. A damaged file is recomputed, never
trusted.
"""
from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from ..io.atomic import atomic_write_bytes
from .records import FrameRecord

INDEX = "__records__"


def default_cache_dir() -> Path:
    from ..io.paths import talkbench_home

    return talkbench_home() / "cache" / "analysis"


def frame_hash(frame: np.ndarray) -> str:
    frame = np.ascontiguousarray(frame)
    h = hashlib.sha256(f"{frame.dtype.str}{frame.shape}".encode())
    h.update(memoryview(frame).cast("B"))
    return h.hexdigest()


def record_key(content_hash: str, fingerprint: dict[str, Any]) -> str:
    text = json.dumps({"frame": content_hash, "analysis": fingerprint}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def clip_key(record_keys: list[str]) -> str:
    return hashlib.sha256("\n".join(record_keys).encode()).hexdigest()


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name)


def pack(records: list[FrameRecord]) -> bytes:
    """npz bytes: arrays as `a<k>`, structure (with {"__array__": k} references) as a JSON index."""
    arrays: dict[str, np.ndarray] = {}

    def enc(v: Any) -> Any:
        if isinstance(v, np.ndarray):
            name = f"a{len(arrays)}"
            arrays[name] = np.ascontiguousarray(v)
            return {"__array__": name}
        if isinstance(v, (list, tuple)):
            return [enc(x) for x in v]
        if isinstance(v, dict):
            return {str(k): enc(x) for k, x in v.items()}
        if isinstance(v, np.generic):
            return v.item()
        if isinstance(v, float) and not np.isfinite(v):
            return {"__float__": repr(v)}
        return v

    index = [{"value": enc(r.value), "missing": r.missing, "meta": enc(r.meta)} for r in records]
    buf = io.BytesIO()
    np.savez(buf, **{INDEX: np.frombuffer(json.dumps(index).encode(), dtype=np.uint8)}, **arrays)
    return buf.getvalue()


def unpack(data: Any) -> list[FrameRecord]:
    with np.load(data, allow_pickle=False) as npz:
        index = json.loads(npz[INDEX].tobytes().decode())

        def dec(v: Any) -> Any:
            if isinstance(v, dict):
                if set(v) == {"__array__"}:
                    return npz[v["__array__"]]
                if set(v) == {"__float__"}:
                    return float(v["__float__"])
                return {k: dec(x) for k, x in v.items()}
            if isinstance(v, list):
                return [dec(x) for x in v]
            return v

        return [FrameRecord(value=dec(r["value"]), missing=r["missing"], meta=dec(r.get("meta") or {})) for r in index]


class ClipCache:
    def __init__(self, root: str | Path | None):
        self.root = None if root is None else Path(root)

    def path(self, analyser: str, key: str) -> Path:
        assert self.root is not None
        return self.root / _safe(analyser) / key[:2] / f"{key}.npz"

    def get(self, analyser: str, record_keys: list[str]) -> list[FrameRecord] | None:
        if self.root is None:
            return None
        p = self.path(analyser, clip_key(record_keys))
        try:
            records = unpack(p)
        except FileNotFoundError:
            return None
        except (ValueError, KeyError, TypeError, OSError, zipfile.BadZipFile):  # damaged: recompute
            return None
        return records if len(records) == len(record_keys) else None

    def put(self, analyser: str, record_keys: list[str], records: list[FrameRecord]) -> None:
        if self.root is None:
            return
        atomic_write_bytes(self.path(analyser, clip_key(record_keys)), pack(records))
