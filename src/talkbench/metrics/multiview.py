"""Multiview N×N score matrices (triplane-fusion paper, seed 001, Sec. 4.2, eqs. 11–15).

For T frames and N cameras, S[t, i, j] = metric(render of the reconstruction from input camera i
at camera j, GT of camera j at frame t). Summaries:

- Synthesis Quality: mean of all entries;
- NVS Quality: mean of the off-diagonal entries (i ≠ j);
- NVV (eq. 14): mean over (t, i) of the standard deviation over j (one row of S[t]);
- IVV (eq. 15): mean over (t, j) of the standard deviation over i (one column of S[t]).

Standard deviations are population standard deviations (ddof = 0), stated on the cards.
"""
from __future__ import annotations

from typing import Any, Callable, ClassVar

import numpy as np
import torch

from .base import Metric, MetricValue, PairedFrameMetric, Reduction, StateField, canonical_rows
from .card import MetricCard, MetricKind

RenderFn = Callable[[int, int, int], torch.Tensor]  # (t, i, j) -> 3×H×W in [0,1]
GTFn = Callable[[int, int], torch.Tensor]  # (t, j) -> 3×H×W in [0,1]


def build_score_matrix(render: RenderFn, gt: GTFn | torch.Tensor, metric: PairedFrameMetric,
                       n_frames: int, n_cams: int, mask: Callable[[int, int], torch.Tensor] | None = None) -> np.ndarray:
    """Fill S (T×N×N, float64); one batched metric call per (t, i) row."""
    S = np.empty((n_frames, n_cams, n_cams), dtype=np.float64)
    get_gt = (lambda t, j: gt[t, j]) if isinstance(gt, torch.Tensor) else gt
    for t in range(n_frames):
        targets = torch.stack([get_gt(t, j) for j in range(n_cams)])
        masks = torch.stack([mask(t, j) for j in range(n_cams)]) if mask is not None else None
        for i in range(n_cams):
            preds = torch.stack([render(t, i, j) for j in range(n_cams)])
            S[t, i] = metric.score_frames(*_checked(preds, targets, masks)).numpy()
    return S


def _checked(pred, gt, mask):
    from .base import check_pair

    return check_pair(pred, gt, mask)


def _as_matrix(S: np.ndarray) -> np.ndarray:
    S = np.asarray(S, dtype=np.float64)
    if S.ndim == 2:
        S = S[None]
    if S.ndim != 3 or S.shape[1] != S.shape[2]:
        raise ValueError(f"a score matrix must be T×N×N (or N×N), got shape {S.shape}")
    if S.shape[1] < 2:
        raise ValueError("a score matrix needs at least 2 cameras")
    return S


def synthesis_quality(S: np.ndarray) -> float:
    return float(_as_matrix(S).mean())


def nvs_quality(S: np.ndarray) -> float:
    S = _as_matrix(S)
    off = ~np.eye(S.shape[1], dtype=bool)
    return float(S[:, off].mean())


def nvv(S: np.ndarray) -> float:
    return float(_as_matrix(S).std(axis=2, ddof=0).mean())


def ivv(S: np.ndarray) -> float:
    return float(_as_matrix(S).std(axis=1, ddof=0).mean())


def summarize_matrix(S: np.ndarray) -> dict[str, float]:
    return {"synthesis_quality": synthesis_quality(S), "nvs_quality": nvs_quality(S), "nvv": nvv(S), "ivv": ivv(S)}


class MatrixSummary(Metric):
    """A summary of T×N×N score matrices of a base paired metric (option ``base``, default psnr)."""

    defaults: ClassVar[dict[str, Any]] = {"base": "psnr"}
    summary: ClassVar[Callable[[np.ndarray], float]]
    #: False for variation measures (lower is better whatever the base); None: follow the base card
    direction: ClassVar[bool | None] = None

    state_fields = (StateField("_mats", Reduction.CAT, "T×N×N float64 score matrices, one per item"),)

    def update(self, S: np.ndarray) -> None:
        self._mats.append(_as_matrix(S))

    @property
    def matrix(self) -> np.ndarray:
        """All T×N×N matrices stacked in a canonical (value-sorted) order of t, so merges in any order agree."""
        if not self._mats:
            return np.zeros((0, 0, 0))
        return canonical_rows(self._mats)

    def compute(self) -> MetricValue:
        if not self._mats:
            return MetricValue(self.name, None, 0)
        S = self.matrix
        return MetricValue(self.name, type(self).summary(S), int(S.shape[0]), extra={"n_cameras": int(S.shape[1])})

    @property
    def instance_card(self) -> MetricCard:
        from .registry import REGISTRY

        base = REGISTRY.card(self.options["base"])
        hib = base.higher_is_better if self.direction is None else self.direction
        rng = base.range if self.direction is None else (0.0, None)
        return super().instance_card.with_options(
            higher_is_better=hib, range=rng, unit=base.unit,
            backbone=base.backbone, preprocessing=f"base metric {base.name} v{base.version}: {base.preprocessing}",
        )


def _card(name: str, description: str, aggregation: str) -> MetricCard:
    return MetricCard(
        name=name, version="1.0", higher_is_better=None, range=(None, None), unit="(base metric)",
        kind=MetricKind.MULTIVIEW_MATRIX, inputs=("score_matrix T×N×N",), preprocessing="(base metric)",
        description=description, aggregation=aggregation,
        references=("Wang et al., Coherent 3D Portrait Video Reconstruction via Triplane Fusion, eqs. 11–15",),
    )


class SynthesisQuality(MatrixSummary):
    summary = staticmethod(synthesis_quality)
    card = _card("synthesis_quality", "Mean of all T×N×N entries of the score matrix.", "mean over t, i, j")


class NVSQuality(MatrixSummary):
    summary = staticmethod(nvs_quality)
    card = _card("nvs_quality", "Mean of the off-diagonal entries (novel views, i ≠ j).", "mean over t and i ≠ j")


class NVV(MatrixSummary):
    summary = staticmethod(nvv)
    direction = False
    card = _card("nvv", "Novel View Variation (eq. 14): spread of quality across rendered views for one input view.",
                 "mean over (t, i) of the population std (ddof=0) over j")


class IVV(MatrixSummary):
    summary = staticmethod(ivv)
    direction = False
    card = _card("ivv", "Input View Variation (eq. 15): spread of quality across input views for one rendered view.",
                 "mean over (t, j) of the population std (ddof=0) over i")
