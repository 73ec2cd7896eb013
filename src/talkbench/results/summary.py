"""The typed result records written to summary.json and items.jsonl."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import numpy as np

from ..metrics.base import mean_or_none
from ..metrics.card import MetricCard
from .bootstrap import DEFAULT_SEED, bootstrap_ci

SCHEMA_VERSION = "1.0"


@dataclass
class MissingItem:
    item: str
    reason: str
    metric: str | None = None  # None: the item is missing for every metric

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class ItemRecord:
    """One item × metric value, with the hashes of the inputs it was computed from."""

    item: str
    metric: str
    value: float | None
    n_frames: int | None = None
    inputs: dict[str, str] = field(default_factory=dict)  # role -> sha256
    extra: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class MetricSummary:
    card: MetricCard
    value: float | None
    n: int
    n_expected: int
    ci95: tuple[float, float] | None = None
    per_item: list[float] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def n_missing(self) -> int:
        return self.n_expected - self.n

    def to_dict(self) -> dict[str, Any]:
        return {
            "card": self.card.to_dict(), "value": self.value, "ci95": None if self.ci95 is None else list(self.ci95),
            "n": self.n, "n_expected": self.n_expected, "n_missing": self.n_missing, "extra": self.extra,
        }


def summarize_values(card: MetricCard, values, n_expected: int, seed: int = DEFAULT_SEED,
                     extra: dict | None = None) -> MetricSummary:
    """Mean of the per-item values and their bootstrap 95% CI."""
    v = np.asarray([x for x in values if x is not None], dtype=np.float64)
    return MetricSummary(card=card, value=mean_or_none(v), n=int(v.size), n_expected=n_expected,
                         ci95=bootstrap_ci(v, seed=seed), per_item=v.tolist(), extra=dict(extra or {}))


@dataclass
class RunSummary:
    protocol: dict[str, Any]  # {"id", "version", "hash"}; id "adhoc" for `talkbench score`
    model: dict[str, Any]  # {"name", "config", ...}
    metrics: dict[str, MetricSummary]
    counts: dict[str, int]  # expected / evaluated / missing items
    missing: list[MissingItem] = field(default_factory=list)
    comparable: bool = False
    comparable_reasons: list[str] = field(default_factory=list)
    seeds: dict[str, int] = field(default_factory=lambda: {"bootstrap": DEFAULT_SEED})
    weights: dict[str, str] = field(default_factory=dict)  # backbone id -> sha256
    artifacts: dict[str, Any] = field(default_factory=lambda: {"items": "items.jsonl"})
    run: dict[str, Any] = field(default_factory=dict)
    suite: dict[str, Any] | None = None
    environment: dict[str, Any] | None = None
    created_utc: str | None = None

    def to_dict(self) -> dict[str, Any]:
        from .provenance import environment_info, suite_info

        return {
            "schema_version": SCHEMA_VERSION,
            "suite": self.suite or suite_info(),
            "created_utc": self.created_utc or datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "run": self.run,
            "protocol": self.protocol,
            "model": self.model,
            "comparable": self.comparable,
            "comparable_reasons": list(self.comparable_reasons),
            "seeds": self.seeds,
            "environment": self.environment or environment_info(),
            "counts": self.counts,
            "metrics": {k: m.to_dict() for k, m in self.metrics.items()},
            "weights": self.weights,
            "missing": [m.to_dict() for m in self.missing],
            "artifacts": self.artifacts,
        }
