"""Offline replacements for metrics whose official weights may be absent (`--offline-backbones`).

Each maps a registered metric name to another registered name that runs a backbone shipped with
installed packages (mediapipe, dlib). The replacement keeps its own name and card, so its numbers
are labelled as the offline backbone and never land in the official column.
"""
from __future__ import annotations

OFFLINE_BACKBONES: dict[str, str] = {
    "csim": "csim_dlib",
    "csim_antelopev2": "csim_dlib",
    "csim_iresnet100": "csim_dlib",
    "csim_irse50": "csim_dlib",
    "aed": "aed_mediapipe",
    "apd": "apd_mediapipe",
    "akd": "akd_mediapipe",
    "lmd": "lmd_mediapipe",
}


def offline_name(metric: str) -> str:
    """The offline registered name for `metric` (itself when it already runs offline)."""
    return OFFLINE_BACKBONES.get(metric, metric)
