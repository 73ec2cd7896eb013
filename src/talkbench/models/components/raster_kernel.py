"""Compiled z-buffer pass of ``rasterizer.rasterize_fragments`` (numba; imported on first use).

The per-triangle coefficients come from torch (``rasterizer._affine_coefficients``); this module
only steps them over each triangle's bounding box, so its arithmetic is pinned to the expression in
:func:`weights_at`, which the bit-identity test in tests/test_rasterizer.py checks against the landed
torch implementation.
"""
from __future__ import annotations

import numba as nb
import numpy as np


@nb.njit(cache=True, nogil=True, inline="always")
def weights_at(coef, n, dc, dr):
    """Triangle n's three weights and depth ``dc`` columns and ``dr`` rows from its box origin,
    stepped in this exact order (the bit-identity test pins it): (origin + per_col·dc) + per_row·dr."""
    return ((coef[n, 0, 0] + coef[n, 1, 0] * dc) + coef[n, 2, 0] * dr,
            (coef[n, 0, 1] + coef[n, 1, 1] * dc) + coef[n, 2, 1] * dr,
            (coef[n, 0, 2] + coef[n, 1, 2] * dc) + coef[n, 2, 2] * dr,
            (coef[n, 0, 3] + coef[n, 1, 3] * dc) + coef[n, 2, 3] * dr)


@nb.njit(cache=True, nogil=True)
def zbuffer(boxes, coef, faces, inv_w, perspective, B, H, W, zbuf, win, face_index, bary, depth):
    """Nearest-depth visibility over each triangle's box (scratch ``zbuf`` float64 and ``win`` int32, B·H·W),
    then every pixel's fragment written into ``face_index`` (B·H·W int64), ``bary`` (B·H·W×3 float32)
    and ``depth`` (B·H·W float32).

    A pixel is inside when its three weights are all ≥ -1e-9 (absorbing rounding of centres
    exactly on an edge); a strictly smaller depth replaces the stored one, so with triangles
    visited in ascending face order the lowest index wins ties. The z pass stores only the
    depth and the winning triangle; the winner's weights are re-evaluated once per pixel."""
    n_pix = B * H * W
    zbuf[:] = np.inf  # nearest depth so far (float64) and the triangle that has it (-1: none)
    win[:] = -1
    for n in range(boxes.shape[0]):
        b, c0, c1, r0, r1 = boxes[n, 0], boxes[n, 2], boxes[n, 3], boxes[n, 4], boxes[n, 5]
        for r in range(r0, r1 + 1):
            dr = float(r - r0)
            base = (b * H + r) * W
            entered = False
            for c in range(c0, c1 + 1):
                l0, l1, l2, d = weights_at(coef, n, float(c - c0), dr)
                if l0 >= -1e-9 and l1 >= -1e-9 and l2 >= -1e-9:
                    entered = True
                    k = base + c
                    if d < zbuf[k]:
                        zbuf[k] = d
                        win[k] = n
                elif entered:  # each weight is monotone along a row, so the covered run has ended
                    break
    k = -1
    for b in range(B):
        for r in range(H):
            for c in range(W):
                k += 1
                n = win[k]
                if n < 0:  # uncovered
                    face_index[k] = -1
                    bary[k, 0], bary[k, 1], bary[k, 2] = 0.0, 0.0, 0.0
                    depth[k] = 0.0
                    continue
                f = boxes[n, 1]
                l0, l1, l2, d = weights_at(coef, n, float(c - boxes[n, 2]), float(r - boxes[n, 4]))
                if perspective:  # weights over w, renormalised
                    l0 = l0 * inv_w[b, faces[f, 0]]
                    l1 = l1 * inv_w[b, faces[f, 1]]
                    l2 = l2 * inv_w[b, faces[f, 2]]
                    total = (l0 + l1) + l2
                    l0, l1, l2 = l0 / total, l1 / total, l2 / total
                face_index[k] = f
                bary[k, 0], bary[k, 1], bary[k, 2] = l0, l1, l2
                depth[k] = zbuf[k]
