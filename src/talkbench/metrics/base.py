"""Metric base classes: `update(...)` accumulates, `compute()` returns a MetricValue.

Every metric DECLARES its state (`state_fields`: a name, a merge rule and what it holds), and the base
class derives `reset()`, `state_dict()`, `load_state_dict()` and `merge()` from the declaration. The
runner, the executors and `--resume` use nothing else, so no accumulator can be silently dropped: a
state_dict with a missing, extra or mistyped field is refused with the field named.

Merge rules: SUM (a number or float64 array, added), CAT (a list of arrays, concatenated), ITEMS (a list
of plain records, e.g. missing reasons, extended). Results do not depend on the order in which states
arrive: means are exactly rounded sums (math.fsum) and set-level metrics read their CAT rows in a
canonical order (`canonical_rows`), so a sharded, resumed or shuffled run gives the one-pass number.
"""
from __future__ import annotations

import abc
import math
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, ClassVar

import numpy as np
import torch

from ..errors import TalkbenchError
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
    """Exactly rounded mean (independent of the values' order); +inf stays +inf (identical frames under PSNR)."""
    values = np.asarray(values, dtype=np.float64).reshape(-1)
    if values.size == 0:
        return None
    if np.all(np.isfinite(values)):
        return math.fsum(values.tolist()) / values.size
    return float(np.sum(values) / values.size)


class Reduction(str, Enum):
    SUM = "sum"  # a number or a float64 array; merged by addition (None = nothing yet)
    CAT = "cat"  # a list of numpy arrays (rows along axis 0); merged by concatenating the lists
    ITEMS = "items"  # a list of plain records (str, tuples of str); merged by extending


@dataclass(frozen=True)
class StateField:
    """One declared accumulator of a metric: the attribute it lives in, how shards merge, what it holds."""

    name: str
    reduction: Reduction
    doc: str

    def empty(self) -> Any:
        return None if self.reduction is Reduction.SUM else []


class StateError(TalkbenchError):
    """A metric state that does not fit the metric (other metric, version, options or fields)."""


def canonical_rows(chunks: list[np.ndarray], dtype: Any = np.float64) -> np.ndarray:
    """The rows of a CAT state in an order that depends only on their values (sorted by their bytes),
    so set-level results are identical whatever order items, shards or resumed runs arrived in."""
    if not chunks:
        return np.zeros((0,), dtype=dtype)
    rows = np.ascontiguousarray(np.concatenate([np.asarray(c) for c in chunks], axis=0))
    if len(rows) > 1:
        flat = rows.reshape(len(rows), -1)
        keys = np.ascontiguousarray(flat).view(np.dtype((np.void, flat.dtype.itemsize * flat.shape[1]))).reshape(-1)
        rows = rows[np.argsort(keys, kind="stable")]
    return rows.astype(dtype, copy=False)


class Metric(abc.ABC):
    """Base of every metric. Subclasses set `card` and implement update/compute."""

    card: ClassVar[MetricCard]
    #: default option values; the instance's card records the resolved options
    defaults: ClassVar[dict[str, Any]] = {}
    #: the metric's accumulators; reset/state_dict/load_state_dict/merge are derived from them
    state_fields: ClassVar[tuple[StateField, ...]] = ()

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

    # -- declared state ----------------------------------------------------------------------------
    def reset(self) -> None:
        for f in self.state_fields:
            setattr(self, f.name, f.empty())

    def state_dict(self) -> dict[str, Any]:
        """Plain data (io/state_codec can store it): the metric's identity and its declared fields."""
        return {"metric": self.name, "version": self.card.version, "options": dict(self.options),
                "fields": {f.name: getattr(self, f.name) for f in self.state_fields}}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Replace this instance's state; refuses a state of another metric, version, options or field set."""
        where = f"metric state for '{self.name}'"
        if not isinstance(state, dict) or set(state) != {"metric", "version", "options", "fields"}:
            raise StateError(f"{where}: not a talkbench metric state_dict")
        if (state["metric"], state["version"]) != (self.name, self.card.version):
            raise StateError(f"{where}: the state was saved by {state['metric']} v{state['version']}, "
                             f"this is {self.name} v{self.card.version}")
        if dict(state["options"]) != dict(self.options):
            raise StateError(f"{where}: saved with options {state['options']}, this instance has {self.options}")
        fields = state["fields"]
        declared = {f.name: f for f in self.state_fields}
        if set(fields) != set(declared):
            raise StateError(f"{where}: fields {sorted(fields)} do not match the declared {sorted(declared)}")
        for name, f in declared.items():
            value = fields[name]
            if f.reduction is not Reduction.SUM and not isinstance(value, list):
                raise StateError(f"{where}: field '{name}' ({f.reduction.value}) must be a list, got {type(value).__name__}")
            setattr(self, name, list(value) if isinstance(value, list) else value)

    def merge(self, other: "Metric") -> None:
        """Fold another instance's state (same metric and options) into this one, field by field."""
        if type(other) is not type(self) or other.options != self.options:
            raise StateError(f"cannot merge {type(other).__name__}{other.options} into {type(self).__name__}{self.options}")
        for f in self.state_fields:
            mine, theirs = getattr(self, f.name), getattr(other, f.name)
            if f.reduction is Reduction.SUM:
                setattr(self, f.name, theirs if mine is None else mine if theirs is None else mine + theirs)
            else:
                setattr(self, f.name, [*mine, *theirs])

    @abc.abstractmethod
    def update(self, *args: Any, **kwargs: Any) -> None: ...

    @abc.abstractmethod
    def compute(self) -> MetricValue: ...

    def update_item(self, ctx: "ItemContext") -> "ItemScore":
        """Score one protocol item (the runner's entry point); accumulates state like update()."""
        raise NotImplementedError(f"{type(self).__name__} does not implement update_item")


class PairedFrameMetric(Metric):
    """One float64 value per (prediction, reference) frame pair; the result is their mean."""

    state_fields = (StateField("_values", Reduction.CAT, "per-frame float64 values, one array per update"),)

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
    if not (pred.is_floating_point() and gt.is_floating_point()):
        raise ValueError(f"expected floating-point images in [0, 1], got {pred.dtype} and {gt.dtype} (divide 8-bit images by 255)")
    if pred.shape[0] and (pred.shape[2] == 0 or pred.shape[3] == 0):
        raise ValueError(f"images of {tuple(pred.shape[2:])} pixels are empty")
    for role, t in (("prediction", pred), ("reference", gt)):
        if not bool(torch.isfinite(t).all()):
            raise ValueError(f"the {role} holds NaN or infinite values")
    if mask is not None:
        if mask.dim() == 3:
            mask = mask.unsqueeze(1) if mask.shape[0] == pred.shape[0] else mask.unsqueeze(0)
        if mask.shape[0] != pred.shape[0] or mask.shape[1] != 1 or mask.shape[2:] != pred.shape[2:]:
            raise ValueError(f"mask must be N×1×H×W matching {tuple(pred.shape)}, got {tuple(mask.shape)}")
    return pred, gt, mask


__all__ = ["Metric", "PairedFrameMetric", "MetricValue", "MetricCard", "MetricKind", "Reduction", "StateField", "StateError",
           "canonical_rows", "mean_or_none"]
