"""Formulas shared by AKD and LMD on landmark arrays (N×2 points per frame, pixels)."""
from __future__ import annotations

import numpy as np


def rescale_points(points: np.ndarray, frame_shape: tuple[int, ...], resolution: int | None) -> np.ndarray:
    """Points of a W×H frame expressed in pixels of a resolution×resolution frame (None: unchanged)."""
    pts = np.asarray(points, dtype=np.float64)[:, :2]
    if resolution is None:
        return pts
    h, w = frame_shape[:2]
    return pts * np.array([resolution / w, resolution / h])


def mean_abs_coordinate_diff(a: np.ndarray, b: np.ndarray) -> float:
    """Mean over all x and y coordinates of |a − b| (pose-evaluation's AKD)."""
    return float(np.mean(np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64))))


def mean_point_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Mean over points of the Euclidean distance ‖a_k − b_k‖."""
    return float(np.mean(np.linalg.norm(np.asarray(a, np.float64) - np.asarray(b, np.float64), axis=1)))


def centred(points: np.ndarray) -> np.ndarray:
    p = np.asarray(points, dtype=np.float64)
    return p - p.mean(axis=0)
