"""Result folders for report/compare tests, built with talkbench.results and real or hand-made cards."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from talkbench.metrics.card import BackboneRef, MetricCard, MetricKind
from talkbench.metrics.registry import REGISTRY
from talkbench.results import RunSummary, summarize_values, write_results
from talkbench.results.summary import ItemRecord, MissingItem

SHA_A = "a" * 64
SHA_B = "b" * 64
ENV = {"python": "3.11", "torch": "2.13.0", "numpy": "1.26.4", "device": "cpu"}
SUITE = {"name": "talkbench", "version": "0.1.0", "git_commit": "0" * 40, "git_dirty": False}


def csim_card(sha: str = SHA_A, version: str = "1.0") -> MetricCard:
    """A CSIM card made here (the real one belongs to another issue)."""
    return MetricCard(name="csim", version=version, higher_is_better=True, range=(-1.0, 1.0), unit="cosine",
                      kind=MetricKind.PAIRED_FRAME, inputs=("pred", "source"), preprocessing="arcface 112 crop",
                      description="test card", backbone=BackboneRef("arcface-test", "w.onnx", sha))


def card(name: str) -> MetricCard:
    return REGISTRY.card(name)


def make_run(folder: Path, model: str, values: dict[str, list[float]], *, cards: dict[str, MetricCard] | None = None,
             protocol: str = "celebvhq-same-id-substitute", proto_hash: str = "c" * 64, per_frame: bool = False,
             missing: list[MissingItem] = (), comparable: bool = True, run_info: dict | None = None,
             artifacts: dict | None = None) -> Path:
    """Write summary.json + items.jsonl; values[metric] are per-item values for items clip000, clip001, ..."""
    cards = dict(cards or {})
    metrics, items = {}, []
    n_items = max(len(v) for v in values.values())
    for name, vals in values.items():
        c = cards.get(name) or card(name)
        metrics[name] = summarize_values(c, vals, n_expected=n_items)
        for k, v in enumerate(vals):
            extra = {"per_frame": [v + 0.01 * np.sin(t) for t in range(6)]} if per_frame else {}
            items.append(ItemRecord(f"clip{k:03d}", name, v, n_frames=6, extra=extra))
    weights = {c.backbone.id: c.backbone.weights_sha256 for c in (cards.get(n) or card(n) for n in values)
               if c.backbone and c.backbone.weights_sha256}
    whole = {m.item for m in missing if m.metric is None}  # as the runner counts: items missing for every metric
    summary = RunSummary(
        protocol={"id": protocol, "version": "1.0", "hash": proto_hash}, model={"name": model}, metrics=metrics,
        counts={"expected": n_items, "evaluated": n_items - len(whole), "missing": len(whole)},
        missing=list(missing), comparable=comparable,
        comparable_reasons=[] if comparable else ["--limit smoke run"], weights=weights,
        artifacts={"items": "items.jsonl", **(artifacts or {})}, run=run_info or {}, suite=SUITE, environment=ENV,
        created_utc="2025-01-01T00:00:00+00:00")
    return write_results(folder, summary, items)
