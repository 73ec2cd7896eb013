"""Leaderboards as data: columns from metric cards, rows from runs and published tables, best/second marks.

One board per protocol: runs are grouped by their protocol id and a published table joins the board of
its protocol (a table without a protocol gets a board of its own). Rendering lives in reports.table.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from ..baselines.published import TRANSFORMS, PublishedColumn, PublishedTable, column_key
from .runs import Run

BEST, SECOND = "best", "second"
#: marks a run row that is not comparable with published numbers (its footnote says why)
NOT_COMPARABLE = "†"

#: Display names of metric keys; anything else is shown upper-cased with '-' for '_'.
DISPLAY_NAMES = {
    "lse_c": "LSE-C", "lse_d": "LSE-D", "synthesis_quality": "Synthesis Q.", "nvs_quality": "NVS Q.",
    "id_distance": "ID dist.", "expr_distance": "Expr dist.", "mos_identity": "MOS identity",
    "mos_visual_quality": "MOS visual quality", "mos_lip_sync": "MOS lip sync", "mos_image_quality": "MOS image quality",
    "mos_video_realness": "MOS video realness",
}


def display_name(metric: str, options: dict[str, Any] | None = None) -> str:
    base = DISPLAY_NAMES.get(metric, metric.upper().replace("_", "-"))
    if options:
        base += " (" + ", ".join(str(DISPLAY_NAMES.get(str(v), str(v).upper())) for v in options.values()) + ")"
    return base


@dataclass
class Column:
    key: str
    label: str
    higher_is_better: bool | None
    range: tuple[float | None, float | None] | None = None
    unit: str = ""
    digits: int = 3


@dataclass
class Cell:
    value: float | None
    ci95: tuple[float, float] | None = None
    n: int | None = None
    n_expected: int | None = None
    text: str | None = None  # shown instead of the number (e.g. "yes"/"no" in a comparison view)
    notes: list[int] = field(default_factory=list)  # footnote numbers
    mark: str | None = None  # BEST | SECOND, set by rank()


@dataclass
class Row:
    label: str
    source: str
    cells: dict[str, Cell]
    kind: str = "run"  # run | published | metric
    ranked: bool = True
    link: str | None = None  # HTML anchor of the row's per-item table
    notes: list[int] = field(default_factory=list)
    comparable: bool = True  # False: a run that is partial, substituted, or on another protocol (hatched in plots)
    method: str = ""  # the method's name without marks (plots colour by it); defaults to label

    def __post_init__(self) -> None:
        self.method = self.method or self.label


@dataclass
class Board:
    title: str
    columns: list[Column]
    rows: list[Row] = field(default_factory=list)
    caption: list[str] = field(default_factory=list)
    footnotes: list[str] = field(default_factory=list)
    protocol: str | None = None

    def footnote(self, text: str) -> int:
        """Number of a footnote (1-based), reusing an identical one."""
        if text not in self.footnotes:
            self.footnotes.append(text)
        return self.footnotes.index(text) + 1

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)


def _finite(v: float | None) -> bool:
    return v is not None and math.isfinite(v)


def rank(board: Board) -> Board:
    """Mark the best (all ties) and second-best value per column, at the column's printed precision.

    Only ranked rows with a number take part; a column without a direction, or with fewer than two
    numbers, gets no marks.
    """
    for col in board.columns:
        cells = [r.cells[col.key] for r in board.rows if r.ranked and col.key in r.cells]
        for c in cells:
            c.mark = None
        # +inf (PSNR of identical frames) ranks like any number; nan and missing do not take part
        nums = [c for c in cells if c.value is not None and not math.isnan(c.value) and c.text is None]
        if col.higher_is_better is None or len(nums) < 2:
            continue
        distinct = sorted({round(c.value, col.digits) for c in nums}, reverse=col.higher_is_better)
        for c in nums:
            shown = round(c.value, col.digits)
            if shown == distinct[0]:
                c.mark = BEST
            elif len(distinct) > 1 and shown == distinct[1]:
                c.mark = SECOND
    return board


def _decimals(v: float) -> int:
    s = repr(float(v))
    return 0 if "e" in s or "." not in s else len(s.split(".")[1].rstrip("0"))


def _digits(values: list[float], published: list[float]) -> int:
    finite = [abs(v) for v in values if _finite(v)]
    base = 3 if not finite or max(finite) < 10 else 2
    needed = max((_decimals(v) for v in published if _finite(v)), default=0)
    return min(max(base, needed), 4)


# -- building -------------------------------------------------------------------------------------
def _match(name: str, card: dict, published_cols: list[PublishedColumn]) -> tuple[str, PublishedColumn | None]:
    """Column key of a run metric, and the published column it fills (by metric name or stand-in)."""
    opts = card.get("options") or {}
    names = (name, card.get("name"))
    for pc in published_cols:
        if (pc.metric in names or pc.run_metric in names) and all(opts.get(k) == v for k, v in pc.options.items()):
            return pc.key, pc
    base = opts.get("base")
    if card.get("kind") == "multiview-matrix" and base:
        return column_key(card.get("name", name), {"base": base}), None
    return name, None


def _run_cell(m: dict, pc: PublishedColumn | None) -> Cell:
    """A run's value as the published column means it (e.g. 1 − CSIM for an ID distance)."""
    value, ci = m.get("value"), (tuple(m["ci95"]) if m.get("ci95") else None)
    if pc is not None and pc.transform:
        f = TRANSFORMS[pc.transform]
        value = None if value is None else f(value)
        ci = None if ci is None else tuple(sorted((f(ci[0]), f(ci[1]))))
    return Cell(value, ci, m.get("n"), m.get("n_expected"))


def _group_key(protocol: str | None, fallback: str) -> str:
    return protocol or f"(no protocol: {fallback})"


def _caption_for_runs(runs: list[Run]) -> list[str]:
    lines = []
    seen = set()
    for r in runs:
        p = r.protocol
        h = p.get("hash") or "—"
        line = f"Protocol {p.get('id')} v{p.get('version') or '—'} (hash {h[:16]})"
        if line not in seen:
            seen.add(line)
            lines.append(line)
    return lines


def _backbone_text(card: dict) -> str | None:
    bb = card.get("backbone")
    if not bb:
        return None
    sha = bb.get("weights_sha256")
    return f"{bb['id']}" + (f" (weights sha256 {sha[:12]}…)" if sha else "")


def _difference_notes(board: Board, col_label: str, card: dict, tables: list[PublishedTable], key: str) -> list[int]:
    """Footnotes where this run's backbone or preprocessing differs from what a published table states."""
    notes = []
    ours_bb = _backbone_text(card)
    ours_prep = card.get("preprocessing") or ""
    for t in tables:
        for pc in t.columns:
            if pc.key != key:
                continue
            if ours_bb and (pc.backbone is None or card["backbone"]["id"] not in pc.backbone):
                theirs = pc.backbone or "not stated"
                notes.append(board.footnote(f"{col_label}: this run's backbone is {ours_bb}; {t.paper.short} "
                                            f"{t.table}: {theirs}."))
            if pc.preprocessing and pc.preprocessing != ours_prep:
                notes.append(board.footnote(f"{col_label}: preprocessing differs. {t.paper.short} {t.table}: "
                                            f"{pc.preprocessing}; this run: {ours_prep or 'not stated'}."))
    return sorted(set(notes))


def published_label(table: PublishedTable, method: str) -> str:
    """A paper's row name as a reader of another paper needs it: its "Ours" becomes the paper's name
    ("Ours (VD)" -> "Real3D-Portrait (VD)", "Talk3D (Ours)" -> "Talk3D")."""
    short = table.paper.short
    if re.search(r"\(\s*ours\s*\)", method, flags=re.I):
        stripped = re.sub(r"\s*\(\s*ours\s*\)", "", method, flags=re.I).strip()
        return stripped if short.lower() in stripped.lower() else f"{stripped} ({short})"
    return re.sub(r"^ours\b", short, method, flags=re.I)


def _words(protocol: str | None) -> set[str]:
    return set((protocol or "").lower().split("-")) - {"substitute", ""}


def assign_tables(runs: list[Run], tables: list[PublishedTable]) -> dict[int, PublishedTable | None]:
    """The published table each run is shown beside: the one with the run's protocol; else, when no
    selected table has it, the table whose protocol id shares most setting words (same, cross, id,
    audio, nxn, ...) and then most metrics with the run (None when no table shares a word and a metric)."""
    out: dict[int, PublishedTable | None] = {}
    protocols = {t.protocol for t in tables}
    for i, r in enumerate(runs):
        pid = r.protocol.get("id")
        if pid in protocols or not tables:
            out[i] = None
            continue
        names = set(r.metrics) | {m["card"].get("name") for m in r.metrics.values()}
        best, best_score = None, None
        for t in tables:
            cols = {c.metric for c in t.columns} | {c.run_metric for c in t.columns if c.run_metric}
            shared = len(cols & names)
            if not shared:
                continue
            words = len(_words(pid) & _words(t.protocol))
            if not words:
                continue  # e.g. an N×N multiview run is never put beside a reenactment table
            score = (words, shared / len(cols | names))
            if best_score is None or score > best_score:
                best, best_score = t, score
        out[i] = best
    return out


def build_boards(runs: list[Run], tables: list[PublishedTable]) -> list[Board]:
    """One ranked board per protocol (in order of first appearance: runs first, then tables).

    A run whose protocol none of the selected tables uses is put beside the best-matching table (see
    ``assign_tables``) with a footnote naming both protocols and is never ranked there.
    """
    assigned = assign_tables(runs, tables)
    groups: dict[str, tuple[list[Run], list[PublishedTable]]] = {}
    for t in tables:
        groups.setdefault(_group_key(t.protocol, t.id), ([], []))[1].append(t)
    order: list[str] = []
    for i, r in enumerate(runs):
        t = assigned.get(i)
        key = _group_key(t.protocol, t.id) if t is not None else _group_key(r.protocol.get("id"), r.label)
        groups.setdefault(key, ([], []))[0].append(r)
        if key not in order:
            order.append(key)
    order += [k for k in groups if k not in order]
    return [_build_board(key, *groups[key]) for key in order]


def _build_board(key: str, runs: list[Run], tables: list[PublishedTable]) -> Board:
    board = Board(title=f"Leaderboard: {key}", columns=[], protocol=key)
    pcols = [c for t in tables for c in t.columns]
    columns: dict[str, Column] = {}
    for pc in pcols:
        columns.setdefault(pc.key, Column(pc.key, display_name(pc.metric, pc.options), pc.higher_is_better))
    run_keys: list[dict[str, tuple[str, PublishedColumn | None]]] = []
    for r in runs:
        mapping = {}
        for name, m in r.metrics.items():
            card = m["card"]
            k, pc = mapping[name] = _match(name, card, pcols)
            col = columns.get(k)
            if col is None:
                col = columns[k] = Column(k, display_name(card.get("name", name), None if k == name else
                                                          {"base": (card.get("options") or {}).get("base")}),
                                          card.get("higher_is_better"))
            if pc is not None and pc.run_metric in (name, card.get("name")):
                continue  # a stand-in: the published column keeps its own direction
            # the card is the authority for direction, range and unit
            col.higher_is_better = card.get("higher_is_better")
            col.range = tuple(card.get("range") or (None, None))
            col.unit = card.get("unit", "")
        run_keys.append(mapping)
    board.columns = list(columns.values())

    board.caption = _caption_for_runs(runs)
    for i, (r, mapping) in enumerate(zip(runs, run_keys)):
        cells = {}
        for name, m in r.metrics.items():
            k, pc = mapping[name]
            cells[k] = _run_cell(m, pc)
            if cells[k].value is None:
                continue  # no number: nothing for a backbone or preprocessing note to qualify
            cells[k].notes = _difference_notes(board, columns[k].label, m["card"], tables, k)
            if pc is not None and pc.substitute and pc.run_metric in (name, m["card"].get("name")):
                cells[k].notes.append(board.footnote(f"{columns[k].label}: {pc.substitute}."))
        row = Row(r.label, f"run: {r.folder.name}", cells, kind="run", link=f"items-{i}")
        reasons = list(r.comparable_reasons)
        if tables and r.protocol.get("id") not in {t.protocol for t in tables}:
            theirs = ", ".join(sorted({f"{t.title}: {t.protocol or 'no talkbench protocol'}" for t in tables}))
            reasons.insert(0, f"run on protocol {r.protocol.get('id')}, the paper rows on another ({theirs})")
        if reasons:
            # never ranked against the paper's rows; marked with a dagger and its item coverage
            done, _, expected = r.coverage.partition("/")
            row.label = f"{r.label} {NOT_COMPARABLE}" + (f" ({r.coverage} items)" if done != expected else "")
            row.ranked = not tables
            row.comparable = False
            # runs with the same reasons share one footnote
            row.notes.append(board.footnote(f"{NOT_COMPARABLE} not comparable with published numbers: "
                                            + "; ".join(reasons) + "."))
        board.rows.append(row)

    for t in tables:
        board.caption.append(f"{t.title}: {t.caption}")
        source = f"{t.paper.short} {t.table}"
        table_notes = [board.footnote(f"{source}: {n}") for n in t.notes]
        for k, pr in enumerate(t.rows):
            cells = {pc.key: Cell(v.value, v.ci95) for pc, v in zip(t.columns, pr.values)}
            # the table's own notes are marked once, on its first row
            notes = (list(table_notes) if k == 0 else []) + (
                [board.footnote(f"{source}, {pr.method}: {pr.notes}")] if pr.notes else [])
            board.rows.append(Row(published_label(t, pr.method), source, cells, kind="published",
                                  ranked=not pr.reference, notes=notes))

    empty = [c for c in board.columns if all(r.cells.get(c.key) is None or (r.cells[c.key].value is None
                                                                          and r.cells[c.key].text is None)
                                             for r in board.rows)]
    if empty and board.rows:
        # a column of dashes says nothing: it is left out and named once (the summary says why)
        board.columns = [c for c in board.columns if c not in empty]
        board.caption.append("No value in any row, not shown: " + ", ".join(c.label for c in empty) + ".")
    for col in board.columns:
        infinite = [r.cells[col.key] for r in board.rows if col.key in r.cells
                    and r.cells[col.key].value is not None and math.isinf(r.cells[col.key].value)]
        if infinite:
            k = board.footnote(f"{col.label}: ∞ means at least one item's value is infinite (e.g. PSNR of frames "
                               f"identical to the reference), so the mean over items is infinite too.")
            for c in infinite:
                c.notes.append(k)
        vals = [r.cells[col.key].value for r in board.rows if col.key in r.cells]
        pub = [r.cells[col.key].value for r in board.rows if r.kind == "published" and col.key in r.cells]
        col.digits = _digits([v for v in vals if v is not None], [v for v in pub if v is not None])
    return rank(board)


def reproduction_board(run: Run, table: PublishedTable, method: str) -> Board:
    """"Reported vs reproduced": one row per shared metric, the paper's number beside the run's."""
    board = Board(title=f"Reported vs reproduced: {run.label} vs {table.paper.short} {table.table} '{method}'",
                  columns=[Column("reported", "reported", None), Column("reproduced", "reproduced", None),
                           Column("diff", "Δ (reproduced − reported)", None), Column("rel", "Δ %", None, digits=1),
                           Column("in_ci", "reported inside 95% CI", None)],
                  protocol=run.protocol.get("id"))
    board.caption = _caption_for_runs([run]) + [f"{table.title}: {table.caption}"]
    if table.protocol != run.protocol.get("id"):
        board.caption.append(f"Warning: the run's protocol ({run.protocol.get('id')}) is not the table's "
                             f"({table.protocol or 'none'}).")
    pcols = list(table.columns)
    for name, m in run.metrics.items():
        k, pc = _match(name, m["card"], pcols)
        if pc is None:
            continue
        reported = table.value(method, k).value
        mine = _run_cell(m, pc)
        ours, ci = mine.value, mine.ci95
        diff = None if reported is None or not _finite(ours) else ours - reported
        rel = None if diff is None or reported == 0 else 100.0 * diff / abs(reported)
        inside = None if ci is None or reported is None else ("yes" if ci[0] <= reported <= ci[1] else "no")
        notes = _difference_notes(board, pc.label, m["card"], [table], k)
        if pc.substitute and pc.run_metric in (name, m["card"].get("name")):
            notes.append(board.footnote(f"{pc.label}: {pc.substitute}."))
        board.rows.append(Row(f"{display_name(pc.metric, pc.options)} {'↑' if pc.higher_is_better else '↓'}",
                              pc.label, {
                                  "reported": Cell(reported), "reproduced": Cell(ours, ci, m.get("n"), m.get("n_expected")),
                                  "diff": Cell(diff), "rel": Cell(rel),
                                  "in_ci": Cell(None, text=inside or "—")}, kind="metric", ranked=False, notes=notes))
    for col in board.columns[:3]:
        col.digits = _digits([r.cells[col.key].value for r in board.rows if r.cells[col.key].value is not None],
                             [r.cells["reported"].value for r in board.rows if r.cells["reported"].value is not None])
    return board
