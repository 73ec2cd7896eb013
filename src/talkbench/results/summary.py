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

        metrics = {k: m.to_dict() for k, m in self.metrics.items()}
        reasons = list(self.comparable_reasons)
        reasons += [r for r in partial_reasons(self.counts, metrics) if r not in reasons]
        return {
            "schema_version": SCHEMA_VERSION,
            "suite": self.suite or suite_info(),
            "created_utc": self.created_utc or datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "run": self.run,
            "protocol": self.protocol,
            "model": self.model,
            "comparable": self.comparable and not reasons,
            "comparable_reasons": reasons,
            "seeds": self.seeds,
            "environment": self.environment or environment_info(),
            "counts": self.counts,
            "metrics": metrics,
            "weights": self.weights,
            "missing": [m.to_dict() for m in self.missing],
            "artifacts": self.artifacts,
        }


def partial_reasons(counts: dict[str, Any], metrics: dict[str, dict[str, Any]]) -> list[str]:
    """Why a run's numbers are not over the protocol's full item list: items missing for every metric,
    and metrics with a value over only some items (a metric with no value at all shows no number and
    is not a reason). A mean over a subset is not comparable with a paper's mean over all items."""
    out = []
    expected, missing = int(counts.get("expected") or 0), int(counts.get("missing") or 0)
    if missing:
        out.append(f"partial: {expected - missing} of {expected} items evaluated ({missing} missing)")
    for name, m in metrics.items():
        n, n_expected = int(m.get("n") or 0), int(m.get("n_expected") or 0)
        if 0 < n < n_expected and (n_expected - n) != missing:
            out.append(f"partial {name}: {n} of {n_expected} items have a value")
    return out


def comparability(summary: dict[str, Any]) -> tuple[bool, list[str]]:
    """(comparable, reasons) of a loaded summary.json, re-deriving the partial-run reasons so a file
    written before they were recorded (or edited by hand) cannot pass a partial run as a full one."""
    reasons = list(summary.get("comparable_reasons") or [])
    reasons += [r for r in partial_reasons(summary.get("counts") or {}, summary.get("metrics") or {}) if r not in reasons]
    comparable = bool(summary.get("comparable", False)) and not reasons
    if not comparable and not reasons:
        reasons = ["not marked comparable"]
    return comparable, reasons
