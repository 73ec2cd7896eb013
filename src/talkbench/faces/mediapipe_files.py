"""The model files that ship inside the mediapipe wheel, and their hashes (for cache keys and cards)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from ..io.hashing import sha256_bytes, sha256_file

MEDIAPIPE_VERSION = "0.10.21"


def mediapipe_dir() -> Path:
    import mediapipe

    return Path(mediapipe.__file__).parent


@lru_cache(maxsize=None)
def files_sha256(*relative: str) -> str:
    """sha256 of one file, or of the sorted 'name:sha256' lines of several (a combined fingerprint)."""
    hashes = {rel: sha256_file(mediapipe_dir() / rel) for rel in relative}
    if len(hashes) == 1:
        return next(iter(hashes.values()))
    return sha256_bytes("".join(f"{k}:{v}\n" for k, v in sorted(hashes.items())).encode())


SHORT_RANGE_DETECTOR = "modules/face_detection/face_detection_short_range.tflite"
MESH_WITH_ATTENTION = "modules/face_landmark/face_landmark_with_attention.tflite"
