"""Comparison plots (matplotlib, Agg): grouped bars with 95% CI, radar, heatmaps, per-frame curves, speed.

Every figure function returns a matplotlib Figure; `save_figure` writes it as PNG and PDF and
`png_bytes` gives the PNG for embedding. `report_figures` picks every plot the inputs allow.
"""
from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np

from .board import Board
from .heatmap import load_matrix, matrix_figure
from .runs import Run


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _finite(v) -> bool:
    return v is not None and math.isfinite(v)


def _short(label: str, width: int = 24) -> str:
    """Tick and legend labels are clipped so a long model name cannot squeeze the axes away."""
    return label if len(label) <= width else label[: width - 1] + "…"


#: colours by method (first appearance in a report), so a method has one colour in every plot
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
           "#17becf", "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173", "#3182bd", "#e6550d", "#31a354")
NOT_COMPARABLE_HATCH = "///"
INF_NOTE = "▲ ∞: infinite value (e.g. PSNR of identical frames), drawn capped at the top of the axis"


def method_colours(boards: list[Board]) -> dict[str, str]:
    """One colour per method name over all boards, in order of first appearance."""
    out: dict[str, str] = {}
    for b in boards:
        for r in b.rows:
            if r.method not in out:
                out[r.method] = PALETTE[len(out) % len(PALETTE)]
    return out


def _plottable(v) -> bool:
    return v is not None and not math.isnan(v)


def grouped_bars(board: Board, colours: dict[str, str] | None = None):
    """One panel per metric column, one bar per row; error bars only where a 95% CI is known; an
    infinite value is a capped marker (▲ ∞) and a non-comparable run a hatched bar."""
    plt = _plt()
    colours = colours or method_colours([board])
    cols = [c for c in board.columns if any(_plottable(r.cells[c.key].value) for r in board.rows if c.key in r.cells)]
    if not cols:
        return None
    ncol = min(4, len(cols))
    nrow = math.ceil(len(cols) / ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(3.2 * ncol, 2.8 * nrow + 0.5), dpi=100, squeeze=False)
    any_ci = any_inf = any_nc = False
    for ax, col in zip(axes.flat, cols):
        rows = [r for r in board.rows if col.key in r.cells and _plottable(r.cells[col.key].value)]
        finite = [r.cells[col.key].value for r in rows if math.isfinite(r.cells[col.key].value)]
        top = max(finite + [hi for r in rows if r.cells[col.key].ci95 for hi in r.cells[col.key].ci95[1:]], default=1.0)
        bottom = min(finite + [0.0])
        cap = top + 0.15 * ((top - bottom) or abs(top) or 1.0)
        x = np.arange(len(rows))
        for k, r in enumerate(rows):
            cell = r.cells[col.key]
            colour = colours.get(r.method, PALETTE[0])
            hatch = None if r.comparable else NOT_COMPARABLE_HATCH
            any_nc |= not r.comparable
            if math.isinf(cell.value):
                any_inf = True
                y = cap if cell.value > 0 else bottom
                ax.bar(k, y, color=colour, alpha=0.35, hatch=hatch, edgecolor="black" if hatch else None)
                ax.plot([k], [y], marker="^" if cell.value > 0 else "v", color=colour, markersize=9,
                        markeredgecolor="black")
                ax.annotate("∞" if cell.value > 0 else "−∞", (k, y), ha="center", va="bottom", fontsize=8,
                            xytext=(0, 4), textcoords="offset points")
                continue
            ax.bar(k, cell.value, color=colour, hatch=hatch, edgecolor="black" if hatch else None)
            if cell.ci95 is not None:  # no CI, no error bar (a zero-height bar would claim certainty)
                any_ci = True
                lo, hi = cell.ci95
                ax.errorbar([k], [cell.value], yerr=[[max(cell.value - lo, 0.0)], [max(hi - cell.value, 0.0)]],
                            fmt="none", ecolor="black", capsize=3, linewidth=1)
        if any(math.isinf(r.cells[col.key].value) for r in rows):
            ax.set_ylim(top=cap + 0.1 * abs(cap - bottom or 1.0))
        arrow = {True: "↑", False: "↓", None: ""}[col.higher_is_better]
        ax.set_title(f"{col.label} {arrow}", fontsize=9)
        ax.set_xticks(x, [_short(r.label) for r in rows], rotation=45, ha="right", fontsize=7)
    for ax in list(axes.flat)[len(cols):]:
        ax.axis("off")
    notes = ["error bars: bootstrap 95% CI where known" if any_ci else "no CI known: no error bars"]
    if any_nc:
        notes.append("hatched, †: not comparable with published numbers")
    if any_inf:
        notes.append(INF_NOTE)
    fig.suptitle(board.title, fontsize=9)
    fig.text(0.01, 0.005, "; ".join(notes), fontsize=7, ha="left", va="bottom")
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    return fig


def normalise(value: float, rng, observed: list[float], higher_is_better: bool | None) -> float:
    """Map a value to [0, 1], 1 = best: by the card's range when both ends are finite, else by the
    min/max observed across the plotted rows (a constant column maps to 0.5)."""
    lo, hi = (rng or (None, None))
    if not (_finite(lo) and _finite(hi)) or hi == lo:
        lo, hi = min(observed), max(observed)
    x = 0.5 if hi == lo else (value - lo) / (hi - lo)
    x = min(max(x, 0.0), 1.0)
    return 1.0 - x if higher_is_better is False else x


def _axis_scale(col, observed: list[float]) -> str:
    lo, hi = col.range or (None, None)
    if _finite(lo) and _finite(hi) and hi != lo:
        return f"card range [{lo:g}, {hi:g}]"
    return f"min–max of plotted rows [{min(observed):.3g}, {max(observed):.3g}]"


def radar(board: Board, colours: dict[str, str] | None = None):
    """Radar across metrics (needs at least 3 directed columns); every axis points outward = better.

    The axes are the directed columns that every run row has (every row when there are no runs);
    published rows join when they report all of those columns. Each axis label says how it was
    normalised (the card's range, or min–max of the plotted rows); a non-comparable run is dashed.
    """
    plt = _plt()
    colours = colours or method_colours([board])

    def has(r, c):
        return c.key in r.cells and _finite(r.cells[c.key].value)

    core = [r for r in board.rows if r.kind == "run"] or list(board.rows)
    cols = [c for c in board.columns if c.higher_is_better is not None and all(has(r, c) for r in core)]
    rows = [r for r in board.rows if all(has(r, c) for c in cols)]
    if len(cols) < 3 or not rows:
        return None
    angles = np.linspace(0, 2 * np.pi, len(cols), endpoint=False).tolist()
    fig = plt.figure(figsize=(6, 6), dpi=100)
    ax = fig.add_subplot(111, polar=True)
    for r in rows:
        vals = [normalise(r.cells[c.key].value, c.range, [q.cells[c.key].value for q in rows], c.higher_is_better)
                for c in cols]
        colour = colours.get(r.method, PALETTE[0])
        ax.plot(angles + angles[:1], vals + vals[:1], label=_short(r.label), color=colour,
                linestyle="-" if r.comparable else "--")
        ax.fill(angles + angles[:1], vals + vals[:1], alpha=0.1, color=colour,
                hatch=None if r.comparable else NOT_COMPARABLE_HATCH)
    labels = [f"{c.label} {'↑' if c.higher_is_better else '↓'}\n({_axis_scale(c, [q.cells[c.key].value for q in rows])})"
              for c in cols]
    ax.set_xticks(angles, labels, fontsize=6)
    ax.set_ylim(0, 1)
    ax.set_title(board.title + "\n(each axis rescaled to [0, 1], outward = better; scale under each label)", fontsize=8)
    ax.legend(fontsize=6, loc="upper right", bbox_to_anchor=(1.3, 1.1))
    if any(not r.comparable for r in rows):
        fig.text(0.01, 0.01, "dashed, †: not comparable with published numbers", fontsize=7)
    fig.tight_layout()
    return fig


def per_frame_curves(run: Run, metric: str, max_items: int = 8):
    """A metric over the frames of each clip (items.jsonl extra.per_frame), first `max_items` clips."""
    series = run.per_frame(metric)
    if not series:
        return None
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 3), dpi=100)
    for item in sorted(series)[:max_items]:
        ax.plot(np.arange(len(series[item])), series[item], label=item, linewidth=1)
    ax.set_xlabel("frame")
    ax.set_ylabel(metric)
    ax.set_title(f"{_short(run.label, 40)}: per-frame {metric}", fontsize=9)
    ax.legend(fontsize=6)
    fig.tight_layout()
    return fig


def speed_scatter(runs: list[Run], metric: str):
    """Metric vs generation speed (fps) for the runs that report a speed."""
    pts = [(r.fps, r.metrics[metric]["value"], r.label) for r in runs
           if r.fps is not None and metric in r.metrics and _finite(r.metrics[metric]["value"])]
    if not pts:
        return None
    plt = _plt()
    fig, ax = plt.subplots(figsize=(4.5, 3.5), dpi=100)
    for fps, v, label in pts:
        ax.scatter([fps], [v])
        ax.annotate(_short(label), (fps, v), fontsize=7, xytext=(3, 3), textcoords="offset points")
    ax.set_xlabel("frames per second")
    ax.set_ylabel(metric)
    ax.set_title(f"{metric} vs speed", fontsize=9)
    fig.tight_layout()
    return fig


def report_figures(boards: list[Board], runs: list[Run]) -> list[tuple[str, object]]:
    """(name, figure) for every plot the inputs support, in a stable order."""
    figs: list[tuple[str, object]] = []
    colours = method_colours(boards)
    for k, b in enumerate(boards):
        for kind, fn in (("bars", grouped_bars), ("radar", radar)):
            fig = fn(b, colours)
            if fig is not None:
                figs.append((f"board{k}-{kind}", fig))
    for i, r in enumerate(runs):
        labels = (r.summary.get("artifacts", {}).get("camera_labels") or {})
        for name, path in r.matrices.items():
            figs.append((f"run{i}-matrix-{name}", matrix_figure(load_matrix(path), f"{r.label} {name}", labels.get(name))))
        for metric in r.metrics:
            fig = per_frame_curves(r, metric)
            if fig is not None:
                figs.append((f"run{i}-frames-{metric}", fig))
    metrics = sorted({m for r in runs for m in r.metrics})
    for metric in metrics:
        fig = speed_scatter(runs, metric)
        if fig is not None:
            figs.append((f"speed-{metric}", fig))
    return figs


def _safe_name(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)


def save_figure(fig, stem: Path) -> list[Path]:
    stem.parent.mkdir(parents=True, exist_ok=True)
    out = []
    for ext in ("png", "pdf"):
        p = stem.with_name(stem.name + "." + ext)
        fig.savefig(p, format=ext)
        out.append(p)
    return out


def png_bytes(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def close(fig) -> None:
    _plt().close(fig)


def write_all_plots(boards: list[Board], runs: list[Run], out_dir: Path) -> list[Path]:
    paths = []
    for name, fig in report_figures(boards, runs):
        paths += save_figure(fig, Path(out_dir) / _safe_name(name))
        close(fig)
    return paths
