"""Content hashes for weights, manifests and inputs."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

_CHUNK = 1 << 20


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_json(obj: Any) -> str:
    """Hash of a JSON-able object in canonical form (sorted keys, no spaces)."""
    from .jsonfloat import encode

    text = json.dumps(encode(obj), sort_keys=True, separators=(",", ":"), allow_nan=False)
    return sha256_bytes(text.encode("utf-8"))


_PATH_DIGESTS: dict[tuple, str] = {}


def sha256_path(path: str | Path) -> str:
    """Content digest of a file, or of a folder (its files' relative names and digests, recursively, sorted).

    Cached per process by (path, size, mtime) so that items sharing one clip hash it once."""
    path = Path(path)
    if path.is_dir():
        h = hashlib.sha256()
        for f in sorted(p for p in path.rglob("*") if p.is_file()):
            h.update(f.relative_to(path).as_posix().encode("utf-8", "surrogateescape") + b"\0")
            h.update(sha256_path(f).encode())
        return h.hexdigest()
    st = path.stat()
    key = (str(path), st.st_size, st.st_mtime_ns)
    if key not in _PATH_DIGESTS:
        _PATH_DIGESTS[key] = sha256_file(path)
    return _PATH_DIGESTS[key]
