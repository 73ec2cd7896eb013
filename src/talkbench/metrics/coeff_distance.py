"""Formulas of AED and APD on coefficient arrays (Deep3DFaceRecon's 257-d layout, or the mesh pose)."""
from __future__ import annotations

import numpy as np

EXP = slice(80, 144)
ANGLE = slice(224, 227)
TRANS = slice(254, 257)


def expression_distance(coeffs_a: np.ndarray, coeffs_b: np.ndarray) -> float:
    """Mean over the 64 expression coefficients of |a − b|."""
    return float(np.mean(np.abs(np.asarray(coeffs_a, np.float64)[EXP] - np.asarray(coeffs_b, np.float64)[EXP])))


def pose_distance(coeffs_a: np.ndarray, coeffs_b: np.ndarray, include_translation: bool = False) -> float:
    """Mean over the 3 angles (radians) of |a − b|; with translation: mean over angles + (tx, ty, tz)."""
    a, b = np.asarray(coeffs_a, np.float64), np.asarray(coeffs_b, np.float64)
    if include_translation:
        a, b = np.concatenate([a[ANGLE], a[TRANS]]), np.concatenate([b[ANGLE], b[TRANS]])
    else:
        a, b = a[ANGLE], b[ANGLE]
    return float(np.mean(np.abs(a - b)))


def mesh_expression_distance(canonical_a: np.ndarray, canonical_b: np.ndarray) -> float:
    """Mean per-point Euclidean distance of two pose-normalised meshes (canonical cm)."""
    d = np.asarray(canonical_a, np.float64) - np.asarray(canonical_b, np.float64)
    return float(np.mean(np.linalg.norm(d, axis=1)))


def angle_distance(angles_a: np.ndarray, angles_b: np.ndarray) -> float:
    return float(np.mean(np.abs(np.asarray(angles_a, np.float64) - np.asarray(angles_b, np.float64))))
