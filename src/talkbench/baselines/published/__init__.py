"""Published paper numbers as data: one YAML file per paper in this folder, loaded into typed tables.

File format (see real3d_portrait.yaml for a full example)::

    paper: {id, short, title, authors, venue, seed, ocr_lost_decimals?}
    defaults:                      # optional, per paper
      backbones: {METRIC: "what the paper says it used"}
      preprocessing: {METRIC or all: "..."}
    tables:
      - id: real3d.t1.same-id      # <paper>.<table>[.<part>]; one protocol per id
        table: Table 1
        part: Same-Identity Reenactment   # optional: the column group of the printed table
        caption, setting: str
        protocol: celebvhq-same-id-substitute   # a talkbench protocol id, or null when none applies
        layout: rows | transposed  # transposed: the paper prints methods as columns (only for seed checks)
        notes: [str, ...]          # the paper's own remarks and transcription remarks
        backbones / preprocessing: per-table overrides of the defaults
        columns: [{label, metric, options?, direction: higher|lower, run_metric?, transform?, substitute?}]
        rows: [[method, v1, v2, ...] | {method, values, notes?, reference?, seed_label?}]

A value is a number, null (not reported, "-" in the paper) or "mean±h" where h is the half-width of the
paper's 95% interval. ``reference: true`` marks rows such as "Ground Truth" that are never ranked.
``label`` is the paper's column name and ``metric`` the talkbench metric it maps to: this is the one
mapping from paper column names to talkbench names (plus ``options``, e.g. the base metric of a
multiview summary: ``synthesis_quality`` with ``{base: lpips}``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib.resources import files
from typing import Any

import yaml

from ...errors import InputError, UnknownNameError

DIRECTIONS = {"higher": True, "lower": False}
#: How a run's value becomes the paper's quantity (see PublishedColumn.run_metric).
TRANSFORMS = {None: lambda v: v, "one_minus": lambda v: 1.0 - v}
_PM = re.compile(r"^\s*([-+]?\d+(?:\.\d+)?)\s*±\s*(\d+(?:\.\d+)?)\s*$")

#: Metric names used in the tables that are not registered metrics: the triplane-fusion paper's ID and
#: Expr distances (runs fill them through a stand-in, see PublishedColumn.run_metric), OpenFace action
#: units, and user-study scores (see talkbench.reports.mos).
PENDING_METRICS: dict[str, str] = {
    "id_distance": "paper column; runs fill it with 1 - csim",
    "expr_distance": "paper column; runs fill it with aed (a substitute)",
    "aue": "not implemented (OpenFace 2.2 action units)",
    "mos_identity": "user study", "mos_visual_quality": "user study", "mos_lip_sync": "user study",
    "mos_image_quality": "user study", "mos_video_realness": "user study",
}


def column_key(metric: str, options: dict[str, Any] | None = None) -> str:
    """Stable key of a metric column: ``psnr``, or ``synthesis_quality[base=lpips]`` with options."""
    if not options:
        return metric
    return f"{metric}[{','.join(f'{k}={options[k]}' for k in sorted(options))}]"


@dataclass(frozen=True)
class Paper:
    id: str
    short: str
    title: str
    authors: str = ""
    venue: str = ""
    seed: str | None = None
    ocr_lost_decimals: bool = False


@dataclass(frozen=True)
class PublishedColumn:
    label: str
    metric: str
    direction: str
    options: dict[str, Any] = field(default_factory=dict)
    backbone: str | None = None  # the paper's words; None when not stated
    preprocessing: str | None = None
    #: a talkbench metric that stands in for this column when runs are compared with it, e.g. the
    #: paper's ID distance from ``csim`` with ``transform: one_minus``; ``substitute`` says how they differ
    run_metric: str | None = None
    transform: str | None = None
    substitute: str | None = None

    @property
    def key(self) -> str:
        return column_key(self.metric, self.options)

    @property
    def higher_is_better(self) -> bool:
        return DIRECTIONS[self.direction]


@dataclass(frozen=True)
class PublishedValue:
    value: float | None
    ci95_halfwidth: float | None = None

    @property
    def ci95(self) -> tuple[float, float] | None:
        if self.value is None or self.ci95_halfwidth is None:
            return None
        return (self.value - self.ci95_halfwidth, self.value + self.ci95_halfwidth)


@dataclass(frozen=True)
class PublishedRow:
    method: str
    values: tuple[PublishedValue, ...]
    notes: str | None = None
    reference: bool = False  # e.g. "Ground Truth": shown, never ranked
    seed_label: str | None = None  # text that finds the row's line in the seed (None: not findable)


@dataclass(frozen=True)
class PublishedTable:
    id: str
    paper: Paper
    table: str
    caption: str
    protocol: str | None
    columns: tuple[PublishedColumn, ...]
    rows: tuple[PublishedRow, ...]
    part: str | None = None
    setting: str = ""
    layout: str = "rows"
    notes: tuple[str, ...] = ()

    @property
    def title(self) -> str:
        part = f" ({self.part})" if self.part else ""
        return f"{self.paper.short} {self.table}{part}"

    def value(self, method: str, metric_key: str) -> PublishedValue:
        """The cell of one method and column key (``UnknownNameError`` naming what exists)."""
        keys = [c.key for c in self.columns]
        for row in self.rows:
            if row.method == method:
                if metric_key not in keys:
                    raise UnknownNameError(f"{self.id} has no column '{metric_key}'; columns: {', '.join(keys)}")
                return row.values[keys.index(metric_key)]
        raise UnknownNameError(f"{self.id} has no row '{method}'; rows: {', '.join(r.method for r in self.rows)}")

    def records(self) -> list[dict[str, Any]]:
        """Long form: one dict per (row, column) with everything needed to cite the number."""
        out = []
        for row in self.rows:
            for col, cell in zip(self.columns, row.values):
                notes = list(self.notes) + ([row.notes] if row.notes else [])
                out.append({
                    "table_id": self.id, "paper": self.paper.short, "table": self.table, "part": self.part,
                    "protocol": self.protocol, "method": row.method, "metric": col.metric, "options": dict(col.options),
                    "column": col.label, "key": col.key, "value": cell.value, "ci95_halfwidth": cell.ci95_halfwidth,
                    "direction": col.direction, "reference": row.reference, "backbone": col.backbone,
                    "preprocessing": col.preprocessing, "notes": notes,
                })
        return out


def _parse_value(raw: Any, where: str) -> PublishedValue:
    if raw is None:
        return PublishedValue(None)
    if isinstance(raw, bool):
        raise InputError(where, f"value {raw!r} is not a number", "write the number as printed")
    if isinstance(raw, (int, float)):
        return PublishedValue(float(raw))
    m = _PM.match(str(raw))
    if not m:
        raise InputError(where, f"value {raw!r} is neither a number, null nor 'mean±halfwidth'", "write it as printed")
    return PublishedValue(float(m.group(1)), float(m.group(2)))


def _parse_row(raw: Any, n_cols: int, where: str) -> PublishedRow:
    if isinstance(raw, list):
        raw = {"method": raw[0], "values": raw[1:]}
    if not isinstance(raw, dict) or "method" not in raw or "values" not in raw:
        raise InputError(where, "a row must be [method, values...] or {method, values, ...}", "fix the YAML")
    method = str(raw["method"])
    if len(raw["values"]) != n_cols:
        raise InputError(where, f"row '{method}' has {len(raw['values'])} values for {n_cols} columns", "fix the YAML")
    values = tuple(_parse_value(v, f"{where} row '{method}'") for v in raw["values"])
    label = raw["seed_label"] if "seed_label" in raw else method
    return PublishedRow(method=method, values=values, notes=raw.get("notes"), reference=bool(raw.get("reference", False)),
                        seed_label=label)


def _parse_column(raw: dict, backbones: dict, preprocessing: dict, where: str) -> PublishedColumn:
    if raw.get("direction") not in DIRECTIONS:
        raise InputError(where, f"column {raw.get('label')!r} needs direction higher|lower", "fix the YAML")
    metric = str(raw["metric"])
    if raw.get("transform") not in TRANSFORMS:
        raise InputError(where, f"column {raw.get('label')!r}: unknown transform {raw.get('transform')!r}",
                         f"use one of {sorted(k for k in TRANSFORMS if k)}")
    return PublishedColumn(label=str(raw["label"]), metric=metric, direction=raw["direction"],
                           options=dict(raw.get("options") or {}), backbone=backbones.get(metric),
                           preprocessing=preprocessing.get(metric, preprocessing.get("all")),
                           run_metric=raw.get("run_metric"), transform=raw.get("transform"),
                           substitute=raw.get("substitute"))


def _parse_file(name: str, text: str) -> list[PublishedTable]:
    data = yaml.safe_load(text)
    paper = Paper(**data["paper"])
    defaults = data.get("defaults") or {}
    tables = []
    for t in data["tables"]:
        where = f"{name}:{t.get('id')}"
        backbones = {**(defaults.get("backbones") or {}), **(t.get("backbones") or {})}
        prep = {**(defaults.get("preprocessing") or {}), **(t.get("preprocessing") or {})}
        cols = tuple(_parse_column(c, backbones, prep, where) for c in t["columns"])
        if len({c.key for c in cols}) != len(cols):
            raise InputError(where, "two columns map to the same metric key", "give them different metrics/options")
        rows = tuple(_parse_row(r, len(cols), where) for r in t["rows"])
        tables.append(PublishedTable(
            id=t["id"], paper=paper, table=t["table"], caption=t.get("caption", ""), protocol=t.get("protocol"),
            columns=cols, rows=rows, part=t.get("part"), setting=t.get("setting", ""), layout=t.get("layout", "rows"),
            notes=tuple(t.get("notes") or ()),
        ))
    return tables


@lru_cache(maxsize=1)
def load_tables() -> dict[str, PublishedTable]:
    """Every published table, by id, in file then table order."""
    out: dict[str, PublishedTable] = {}
    folder = files(__package__)
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if not entry.name.endswith(".yaml"):
            continue
        for table in _parse_file(entry.name, entry.read_text(encoding="utf-8")):
            if table.id in out:
                raise InputError(entry.name, f"table id '{table.id}' is defined twice", "rename one")
            out[table.id] = table
    return out


def select_tables(selectors: list[str] | tuple[str, ...]) -> list[PublishedTable]:
    """Tables named by exact id or by an id prefix ending at a dot: ``real3d.t1`` selects both parts."""
    tables = load_tables()
    chosen: list[PublishedTable] = []
    for sel in selectors:
        hits = [t for tid, t in tables.items() if tid == sel or tid.startswith(sel + ".")]
        if not hits:
            import difflib

            close = difflib.get_close_matches(sel, tables, n=3, cutoff=0.4)
            hint = f" Did you mean: {', '.join(close)}?" if close else ""
            raise UnknownNameError(f"no published table '{sel}'.{hint} `talkbench ls published` lists them all.")
        chosen.extend(t for t in hits if t not in chosen)
    return chosen


def published_rows() -> list[dict[str, Any]]:
    """Rows for `talkbench ls published`."""
    return [{"table": t.id, "paper": t.paper.short, "source": t.table + (f" ({t.part})" if t.part else ""),
             "protocol": t.protocol or "—", "metrics": ",".join(c.key for c in t.columns), "rows": len(t.rows)}
            for t in load_tables().values()]


__all__ = ["TRANSFORMS", "Paper", "PublishedColumn", "PublishedRow", "PublishedTable", "PublishedValue", "PENDING_METRICS",
           "column_key", "load_tables", "select_tables", "published_rows"]
