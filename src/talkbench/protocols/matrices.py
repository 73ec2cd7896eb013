"""Multiview score matrices of a protocol run, written beside summary.json for the report's heatmaps.

One file per base metric of the run's matrix metrics (`matrices/<base>.npy`: every item's T×N×N matrix
merged as the metric merges them), named in `summary["artifacts"]["matrices"]` with the camera serials
in `artifacts["camera_labels"]` (reports/heatmap.py reads both).
"""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from ..io import state_codec
from ..io.atomic import atomic_write_bytes
from .evaluate import restore_metric
from .spec import MetricEntry


def write_matrices(out: Path, entries: list[MetricEntry], outcomes: list[dict], items: list[dict]) -> dict:
    """-> artifacts entries {"matrices": {base: relative path}, "camera_labels": {base: serials}} ({} without any)."""
    from ..metrics.card import MetricKind
    from ..metrics.multiview import MatrixSummary
    from ..metrics.registry import REGISTRY

    target = next((it["target"] for it in items if isinstance(it.get("target"), dict)), {})
    serials = list(target.get("serials") or [])
    files: dict[str, str] = {}
    for entry in entries:
        if REGISTRY.card(entry.name).kind is not MetricKind.MULTIVIEW_MATRIX:
            continue  # never builds other metrics (FID would load its backbone)
        states = [o["states"][entry.key] for o in outcomes if entry.key in o.get("states", {})]
        if not states:
            continue
        total = restore_metric(entry, state_codec.loads(states[0]))
        if not isinstance(total, MatrixSummary) or total.options["base"] in files:
            continue
        for blob in states[1:]:
            total.merge(restore_metric(entry, state_codec.loads(blob)))
        S = total.matrix
        if S.size == 0:
            continue
        buf = io.BytesIO()
        np.save(buf, S, allow_pickle=False)
        rel = f"matrices/{total.options['base']}.npy"
        (out / "matrices").mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(out / rel, buf.getvalue())
        files[total.options["base"]] = rel
    if not files:
        return {}
    return {"matrices": files, "camera_labels": {k: serials for k in files} if serials else {}}
