"""Mouth opening from the mediapipe face mesh (offline), for the `mouth-audio` sync check.

Opening = distance between the inner-lip mid points (mesh vertices 13 and 14) divided by the mouth
width (corners 61 and 291), so it does not depend on the face size. The analysis stage runs it on
the largest face of each frame (talkbench.analysis.mouth).
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

INNER_UPPER_LIP, INNER_LOWER_LIP = 13, 14
MOUTH_CORNERS = (61, 291)


def mouth_opening(mesh: np.ndarray) -> float:
    """Inner-lip gap over mouth width for one 478-point mesh (pixels, N×2 or N×3)."""
    gap = np.linalg.norm(mesh[INNER_LOWER_LIP, :2] - mesh[INNER_UPPER_LIP, :2])
    width = np.linalg.norm(mesh[MOUTH_CORNERS[1], :2] - mesh[MOUTH_CORNERS[0], :2])
    return float(gap / width) if width > 0 else float("nan")


def mouth_backbone_ids(detector: str = "mediapipe") -> tuple[str, str]:
    """(id, weights fingerprint) of the detector + mesh pair the opening comes from.

    The fingerprint is the one faces.mediapipe_files.files_sha256 gives, computed from the wheel's
    folder found without importing mediapipe (seconds), so listing metric cards stays fast.
    """
    from .mediapipe_files import MEDIAPIPE_VERSION, MESH_WITH_ATTENTION, SHORT_RANGE_DETECTOR

    return (f"mediapipe-{MEDIAPIPE_VERSION} {detector} + facemesh", _wheel_files_sha256(SHORT_RANGE_DETECTOR, MESH_WITH_ATTENTION))


@lru_cache(maxsize=None)
def _wheel_files_sha256(*relative: str) -> str:
    import importlib.util
    import sys

    if "mediapipe" in sys.modules:
        from .mediapipe_files import files_sha256

        return files_sha256(*relative)
    from ..io.hashing import sha256_bytes, sha256_file

    spec = importlib.util.find_spec("mediapipe")
    if spec is None or not spec.submodule_search_locations:
        return ""
    root = Path(list(spec.submodule_search_locations)[0])
    lines = sorted(f"{rel}:{sha256_file(root / rel)}\n" for rel in relative)
    return sha256_bytes("".join(lines).encode())
