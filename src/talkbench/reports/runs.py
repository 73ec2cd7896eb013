"""A loaded result folder as reports see it: summary.json plus, on demand, items.jsonl.

Conventions reports rely on (written by the runner, all optional):

- ``items.jsonl`` records ``{"item", "metric", "value", "n_frames", "extra": {...}}``; a per-frame series
  of a paired-frame metric is ``extra["per_frame"]`` (a list of floats, frame order) and drives the
  per-frame curve plots;
- ``summary["artifacts"]["matrices"]``: ``{name: "relative/path.npy"}`` of multiview score matrices
  (see talkbench.reports.heatmap);
- ``summary["run"]["speed"]["fps"]`` (or ``summary["run"]["fps"]``): generation speed in frames per
  second, used by the metric-vs-speed scatter.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..metrics.card import MetricCard
from ..results.store import SUMMARY_FILE, load_items, load_summary
from ..results.summary import comparability


def run_label(summary: dict[str, Any], fallback: str = "") -> str:
    """The name a run is shown under: `run --name LABEL`, else the model name, else the folder."""
    name = (summary.get("run") or {}).get("name")
    return str(name or (summary.get("model") or {}).get("name") or fallback)


@dataclass
class Run:
    path: Path  # the summary.json file
    summary: dict[str, Any]
    label: str = ""
    _items: list[dict[str, Any]] | None = field(default=None, repr=False)

    @classmethod
    def load(cls, path: str | Path) -> "Run":
        p = Path(path)
        p = p / SUMMARY_FILE if p.is_dir() else p
        summary = load_summary(p)
        return cls(path=p, summary=summary, label=run_label(summary, p.parent.name))

    @cached_property
    def comparability(self) -> tuple[bool, list[str]]:
        return comparability(self.summary)

    @property
    def comparable(self) -> bool:
        """Comparable with published numbers: marked so by the runner and not a partial run."""
        return self.comparability[0]

    @property
    def comparable_reasons(self) -> list[str]:
        return self.comparability[1]

    @property
    def coverage(self) -> str:
        """'n/N' items evaluated, e.g. '5/19'."""
        counts = self.summary.get("counts") or {}
        expected = counts.get("expected")
        return "" if expected is None else f"{counts.get('evaluated', expected)}/{expected}"

    @property
    def folder(self) -> Path:
        return self.path.parent

    @property
    def protocol(self) -> dict[str, Any]:
        return self.summary["protocol"]

    @property
    def metrics(self) -> dict[str, dict[str, Any]]:
        return self.summary["metrics"]

    def card(self, metric: str) -> MetricCard:
        return MetricCard.from_dict(self.metrics[metric]["card"])

    @property
    def items(self) -> list[dict[str, Any]]:
        """Per-item records; [] when items.jsonl is absent (reports then work from the summary alone)."""
        if self._items is None:
            try:
                self._items = load_items(self.path)
            except InputError:
                self._items = []
        return self._items

    def item_values(self, metric: str) -> dict[str, float]:
        """item id -> value of one metric (records without a value are left out)."""
        return {r["item"]: float(r["value"]) for r in self.items
                if r.get("metric") == metric and r.get("value") is not None}

    def per_frame(self, metric: str) -> dict[str, list[float]]:
        return {r["item"]: [float(v) for v in r["extra"]["per_frame"]] for r in self.items
                if r.get("metric") == metric and isinstance(r.get("extra"), dict) and r["extra"].get("per_frame")}

    @cached_property
    def fps(self) -> float | None:
        run = self.summary.get("run") or {}
        speed = run.get("speed") if isinstance(run.get("speed"), dict) else {}
        value = speed.get("fps", run.get("fps"))
        return float(value) if isinstance(value, (int, float)) else None

    @property
    def matrices(self) -> dict[str, Path]:
        """Score-matrix files named in artifacts.matrices, resolved inside the result folder."""
        out = {}
        for name, rel in (self.summary.get("artifacts", {}).get("matrices") or {}).items():
            p = (self.folder / rel).resolve()
            if self.folder.resolve() not in p.parents:
                raise InputError(self.path, f"artifacts.matrices[{name!r}] = {rel!r} leaves the result folder",
                                 "store matrices inside the result folder with relative paths")
            out[name] = p
        return out


def load_runs(paths) -> list[Run]:
    """Load result folders / summary files and give runs that share a label on one protocol distinct
    labels ("m #1", "m #2"); the same model on different protocols keeps its name."""
    runs = [Run.load(p) for p in paths]
    seen: dict[tuple, int] = {}
    for r in runs:
        key = (r.protocol.get("id"), r.label)
        seen[key] = seen.get(key, 0) + 1
    counts: dict[tuple, int] = {}
    for r in runs:
        key = (r.protocol.get("id"), r.label)
        if seen[key] > 1:
            counts[key] = counts.get(key, 0) + 1
            r.label = f"{r.label} #{counts[key]}"
    return runs
