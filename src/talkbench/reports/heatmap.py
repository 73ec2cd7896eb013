"""N×N heatmaps of multiview score matrices, titled with their NVV and IVV.

Convention for where the runner stores matrices (the only input of this module):

    summary.json  "artifacts": {"matrices": {"<name>": "<relative path>.npy", ...}}

``<name>`` names the base metric and, if useful, the sequence (e.g. ``psnr`` or ``psnr/seq_038``);
the file is a float64 array of shape T×N×N (or N×N) with S[t, i, j] = score of the reconstruction
from input camera i rendered at camera j against the GT of camera j at frame t (triplane-fusion
paper, eq. 11). Paths are relative to the folder of summary.json and may not leave it. An optional
``"camera_labels": {"<name>": ["222200037", ...]}`` in artifacts labels the axes.
"""
from __future__ import annotations

import numpy as np

from ..metrics.multiview import _as_matrix, ivv, nvv


def load_matrix(path) -> np.ndarray:
    return _as_matrix(np.load(path, allow_pickle=False))


def matrix_figure(S: np.ndarray, name: str, labels: list[str] | None = None):
    """Heatmap of the time-averaged N×N matrix; NVV and IVV (computed on the full T×N×N) in the title."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    S = _as_matrix(S)
    mean = S.mean(axis=0)
    n = mean.shape[0]
    fig, ax = plt.subplots(figsize=(1.0 + 0.6 * n, 0.8 + 0.6 * n), dpi=100)
    im = ax.imshow(np.ma.masked_invalid(mean), cmap="viridis")  # ∞ cells (PSNR of a copied view) left blank, labelled
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    ticks = labels if labels and len(labels) == n else [str(k) for k in range(n)]
    ax.set_xticks(range(n), ticks, rotation=90 if labels else 0, fontsize=7)
    ax.set_yticks(range(n), ticks, fontsize=7)
    ax.set_xlabel("rendered (novel) view j")
    ax.set_ylabel("input view i")
    if n <= 12:
        for i in range(n):
            for j in range(n):
                label = f"{mean[i, j]:.2f}" if np.isfinite(mean[i, j]) else ("∞" if mean[i, j] > 0 else "nan")
                ax.text(j, i, label, ha="center", va="center", fontsize=6, color="w" if np.isfinite(mean[i, j]) else "k")
    ax.set_title(f"{name}: NVV {nvv(S):.3f}, IVV {ivv(S):.3f} (T={S.shape[0]})", fontsize=9)
    fig.tight_layout()
    return fig
