"""Metric base classes: `update(...)` accumulates, `compute()` returns a MetricValue.

Per-frame values are kept in float64 so that results do not depend on batch size, and
set-level metrics keep float64 sufficient statistics so sharded runs merge exactly.
"""
from __future__ import annotations

import abc
import math
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import torch

from .card import MetricCard, MetricKind

if False:  # typing only
    from .context import ItemContext, ItemScore


@dataclass
class MetricValue:
    name: str
    value: float | None  # None when nothing could be scored
    n: int
    per_item: list[float] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "value": self.value, "n": self.n, **self.extra}


def mean_or_none(values: np.ndarray) -> float | None:
    """Mean of per-item values; +inf stays +inf (identical frames under PSNR)."""
    if values.size == 0:
        return None
    return float(np.mean(values)) if np.all(np.isfinite(values)) else float(np.sum(values) / values.size)


class Metric(abc.ABC):
    """Base of every metric. Subclasses set `card` and implement update/compute."""

    card: ClassVar[MetricCard]
    #: default option values; the instance's card records the resolved options
    defaults: ClassVar[dict[str, Any]] = {}

    def __init__(self, **options: Any):
        unknown = set(options) - set(self.defaults)
        if unknown:
            raise TypeError(f"{type(self).__name__} got unknown options {sorted(unknown)}; known: {sorted(self.defaults)}")
        self.options: dict[str, Any] = {**self.defaults, **options}
        self.name: str = self.card.name  # the registry sets the registered (variant) name
        self.validate_options()
        self.reset()

    def validate_options(self) -> None:
        """Raise ValueError on an invalid combination of options."""

    @property
    def instance_card(self) -> MetricCard:
        """The class card with this instance's options (and any derived fields) filled in."""
        return self.card.with_options(name=self.name, options=dict(self.options))

    @abc.abstractmethod
    def reset(self) -> None: ...

    @abc.abstractmethod
    def update(self, *args: Any, **kwargs: Any) -> None: ...

    @abc.abstractmethod
    def compute(self) -> MetricValue: ...

    def merge(self, other: "Metric") -> None:
        """Fold another instance's state (same options) into this one."""
        raise NotImplementedError(f"{type(self).__name__} cannot merge shards")

    def update_item(self, ctx: "ItemContext") -> "ItemScore":
        """Score one protocol item (the runner's entry point); accumulates state like update()."""
        raise NotImplementedError(f"{type(self).__name__} does not implement update_item")


class PairedFrameMetric(Metric):
    """One float64 value per (prediction, reference) frame pair; the result is their mean."""

    def reset(self) -> None:
        self._values: list[np.ndarray] = []

    @abc.abstractmethod
    def score_frames(self, pred: torch.Tensor, gt: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        """Per-frame values (float64, shape N) for N×3×H×W inputs in [0,1]."""

    def update(self, pred: torch.Tensor, gt: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        pred, gt, mask = check_pair(pred, gt, mask)
        vals = self.score_frames(pred, gt, mask).detach().to(torch.float64).reshape(-1)
        self._values.append(vals.numpy().copy())
        return vals

    @property
    def values(self) -> np.ndarray:
        return np.concatenate(self._values) if self._values else np.zeros(0, dtype=np.float64)

    def compute(self) -> MetricValue:
        v = self.values
        return MetricValue(self.name, mean_or_none(v), int(v.size), v.tolist())

    def merge(self, other: "Metric") -> None:
        assert isinstance(other, type(self)) and other.options == self.options
        self._values.extend(other._values)

    #: which ItemContext frames the prediction is compared with
    reference_role: ClassVar[str] = "gt"
    batch_size: ClassVar[int] = 16

    def update_item(self, ctx: "ItemContext") -> "ItemScore":
        from .context import ItemScore

        ref = ctx.reference(self.options.get("reference", self.reference_role))
        if len(ref) != len(ctx.pred):
            raise ValueError(f"item '{ctx.item_id}': {len(ctx.pred)} predicted frames but {len(ref)} reference frames")
        vals = []
        for start in range(0, len(ctx.pred), self.batch_size):
            sl = slice(start, start + self.batch_size)
            mask = ctx.masks.tensor(sl, torch.float64)[:, :1] if ctx.masks is not None else None
            vals.append(self.update(ctx.pred.tensor(sl, torch.float64), ref.tensor(sl, torch.float64), mask))
        v = torch.cat(vals).numpy() if vals else np.zeros(0)
        return ItemScore(mean_or_none(v), int(v.size))


def check_pair(pred: torch.Tensor, gt: torch.Tensor, mask: torch.Tensor | None):
    if pred.dim() == 3:
        pred = pred.unsqueeze(0)
    if gt.dim() == 3:
        gt = gt.unsqueeze(0)
    if pred.shape != gt.shape:
        raise ValueError(f"prediction {tuple(pred.shape)} and reference {tuple(gt.shape)} differ in shape; resize before scoring")
    if pred.dim() != 4 or pred.shape[1] != 3:
        raise ValueError(f"expected N×3×H×W RGB tensors, got {tuple(pred.shape)}")
    if mask is not None:
        if mask.dim() == 3:
            mask = mask.unsqueeze(1) if mask.shape[0] == pred.shape[0] else mask.unsqueeze(0)
        if mask.shape[0] != pred.shape[0] or mask.shape[1] != 1 or mask.shape[2:] != pred.shape[2:]:
            raise ValueError(f"mask must be N×1×H×W matching {tuple(pred.shape)}, got {tuple(mask.shape)}")
    return pred, gt, mask


__all__ = ["Metric", "PairedFrameMetric", "MetricValue", "MetricCard", "MetricKind", "mean_or_none", "math"]
