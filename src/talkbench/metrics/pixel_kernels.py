"""Fused CPU kernels for the pixel metrics (numba, float64 throughout).

One pass over each (frame, channel) plane computes everything a metric needs, so nothing larger
than a row buffer is written to memory:

* :func:`ssim_plane_sums` filters the four SSIM statistics (μx, μy, E[x²+y²], E[xy]) separably,
  a row at a time (the vertical pass into W-wide buffers, then the horizontal pass), evaluates the
  SSIM formula on the row and adds it up. The Gaussian window uses its taps; the uniform window
  uses running box sums (add the entering row/column, subtract the leaving one).
* :func:`frame_error_sums` returns Σ|x − y| and Σ(x − y)² per frame in one pass.

Every operation is float64 (inputs, products, filter sums, the SSIM formula and the per-plane sums),
so the only differences from a float64 reference (scikit-image, the torch path in ``ssim.py``) are
summation order: ~1e-15 relative on the result. This module imports numba (~0.3 s), so the metrics
import it on first use; numba compiles each kernel once (about a second) and caches the machine code
on disk next to this module when the folder is writable.
"""
from __future__ import annotations

import numba as nb
import numpy as np


@nb.njit(cache=True, nogil=True)
def _ssim_plane_sums(x, y, weight, planes_per_weight, taps, box, c1, c2, cov_norm):
    P, H, W = x.shape
    n = taps.shape[0]
    Ho, Wo = H - n + 1, W - n + 1
    use_w = weight.shape[0] > 0
    out = np.zeros(P)
    vx = np.zeros(W); vy = np.zeros(W); vq = np.zeros(W); vxy = np.zeros(W)
    hx = np.empty(Wo); hy = np.empty(Wo); hq = np.empty(Wo); hxy = np.empty(Wo)
    scale = 1.0 / (n * n) if box else 1.0
    for p in range(P):
        acc = 0.0
        for i in range(Ho):
            if box and i > 0:  # slide the column sums down one row
                xa, ya, xs, ys = x[p, i + n - 1], y[p, i + n - 1], x[p, i - 1], y[p, i - 1]
                for j in range(W):
                    a, b, c, d = xa[j], ya[j], xs[j], ys[j]
                    vx[j] += a - c
                    vy[j] += b - d
                    vq[j] += (a * a + b * b) - (c * c + d * d)
                    vxy[j] += a * b - c * d
            else:
                vx[:] = 0.0; vy[:] = 0.0; vq[:] = 0.0; vxy[:] = 0.0
                for t in range(n):
                    kt = taps[t]
                    xr, yr = x[p, i + t], y[p, i + t]
                    for j in range(W):
                        a, b = xr[j], yr[j]
                        vx[j] += kt * a
                        vy[j] += kt * b
                        vq[j] += kt * (a * a + b * b)
                        vxy[j] += kt * (a * b)
            if box:
                sx = 0.0; sy = 0.0; sq = 0.0; sxy = 0.0
                for t in range(n):
                    sx += vx[t]; sy += vy[t]; sq += vq[t]; sxy += vxy[t]
                for j in range(Wo):
                    if j > 0:
                        sx += vx[j + n - 1] - vx[j - 1]
                        sy += vy[j + n - 1] - vy[j - 1]
                        sq += vq[j + n - 1] - vq[j - 1]
                        sxy += vxy[j + n - 1] - vxy[j - 1]
                    hx[j] = sx * scale; hy[j] = sy * scale; hq[j] = sq * scale; hxy[j] = sxy * scale
            else:
                hx[:] = 0.0; hy[:] = 0.0; hq[:] = 0.0; hxy[:] = 0.0
                for t in range(n):
                    kt = taps[t]
                    for j in range(Wo):
                        hx[j] += kt * vx[j + t]
                        hy[j] += kt * vy[j + t]
                        hq[j] += kt * vq[j + t]
                        hxy[j] += kt * vxy[j + t]
            row = 0.0
            for j in range(Wo):
                mx, my = hx[j], hy[j]
                mm = mx * mx + my * my
                var_sum = cov_norm * (hq[j] - mm)
                cov = cov_norm * (hxy[j] - mx * my)
                s = ((2.0 * mx * my + c1) * (2.0 * cov + c2)) / ((mm + c1) * (var_sum + c2))
                if use_w:
                    s *= weight[p // planes_per_weight, i, j]
                row += s
            acc += row
        out[p] = acc
    return out


@nb.njit(cache=True, nogil=True)
def _frame_error_sums(x, y):
    N = x.shape[0]
    abs_sum = np.zeros(N)
    sq_sum = np.zeros(N)
    for f in range(N):
        xf, yf = x[f], y[f]
        a = 0.0
        q = 0.0
        for j in range(xf.shape[0]):
            d = xf[j] - yf[j]
            a += abs(d)
            q += d * d
        abs_sum[f] = a
        sq_sum[f] = q
    return abs_sum, sq_sum


def _as_array(t) -> np.ndarray:
    return np.ascontiguousarray(t.detach().numpy(), dtype=np.float64)


def ssim_plane_sums(pred, gt, taps: np.ndarray, box: bool, c1: float, c2: float, cov_norm: float,
                    weight=None) -> np.ndarray:
    """Per-plane sums of the SSIM map over the valid region for N×C×H×W float64 CPU tensors.

    ``weight`` (N×1×H'×W', the valid crop) multiplies the map before summing; shape N·C.
    """
    n, c, h, w = pred.shape
    x, y = _as_array(pred).reshape(n * c, h, w), _as_array(gt).reshape(n * c, h, w)
    wv = np.zeros((0, 1, 1)) if weight is None else _as_array(weight).reshape(n, *weight.shape[-2:])
    taps = np.ones(len(taps)) if box else np.ascontiguousarray(taps, dtype=np.float64)  # box: plain sums, scaled once
    return _ssim_plane_sums(x, y, wv, c, taps, bool(box),
                         float(c1), float(c2), float(cov_norm))


def frame_error_sums(pred, gt) -> tuple[np.ndarray, np.ndarray]:
    """(Σ|pred − gt|, Σ(pred − gt)²) per frame of N×… float64 CPU tensors, in one pass."""
    n = pred.shape[0]
    return _frame_error_sums(_as_array(pred).reshape(n, -1), _as_array(gt).reshape(n, -1))
