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


def grouped_bars(board: Board):
    """One panel per metric column, one bar per row, error bars from the 95% CI where known."""
    plt = _plt()
    cols = [c for c in board.columns if any(_finite(r.cells.get(c.key).value) for r in board.rows if c.key in r.cells)]
    if not cols:
        return None
    ncol = min(4, len(cols))
    nrow = math.ceil(len(cols) / ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(3.2 * ncol, 2.8 * nrow), dpi=100, squeeze=False)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, col in zip(axes.flat, cols):
        labels, vals, err_lo, err_hi = [], [], [], []
        for r in board.rows:
            cell = r.cells.get(col.key)
            if cell is None or not _finite(cell.value):
                continue
            labels.append(_short(r.label))
            vals.append(cell.value)
            lo, hi = cell.ci95 if cell.ci95 else (cell.value, cell.value)
            err_lo.append(max(cell.value - lo, 0.0))
            err_hi.append(max(hi - cell.value, 0.0))
        x = np.arange(len(vals))
        ax.bar(x, vals, color=[colors[k % len(colors)] for k in range(len(vals))],
               yerr=[err_lo, err_hi], capsize=3)
        arrow = {True: "↑", False: "↓", None: ""}[col.higher_is_better]
        ax.set_title(f"{col.label} {arrow}", fontsize=9)
        ax.set_xticks(x, labels, rotation=45, ha="right", fontsize=7)
    for ax in list(axes.flat)[len(cols):]:
        ax.axis("off")
    fig.suptitle(board.title + " (error bars: bootstrap 95% CI)", fontsize=9)
    fig.tight_layout()
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


def radar(board: Board):
    """Radar across metrics (needs at least 3 directed columns); every axis points outward = better.

    The axes are the directed columns that every run row has (every row when there are no runs);
    published rows join when they report all of those columns.
    """
    plt = _plt()

    def has(r, c):
        return c.key in r.cells and _finite(r.cells[c.key].value)

    core = [r for r in board.rows if r.kind == "run"] or list(board.rows)
    cols = [c for c in board.columns if c.higher_is_better is not None and all(has(r, c) for r in core)]
    rows = [r for r in board.rows if all(has(r, c) for c in cols)]
    if len(cols) < 3 or not rows:
        return None
    angles = np.linspace(0, 2 * np.pi, len(cols), endpoint=False).tolist()
    fig = plt.figure(figsize=(5, 5), dpi=100)
    ax = fig.add_subplot(111, polar=True)
    for r in rows:
        vals = [normalise(r.cells[c.key].value, c.range, [q.cells[c.key].value for q in rows], c.higher_is_better)
                for c in cols]
        ax.plot(angles + angles[:1], vals + vals[:1], label=_short(r.label))
        ax.fill(angles + angles[:1], vals + vals[:1], alpha=0.1)
    ax.set_xticks(angles, [c.label for c in cols], fontsize=7)
    ax.set_ylim(0, 1)
    ax.set_title(board.title + " (outward = better)", fontsize=9)
    ax.legend(fontsize=6, loc="upper right", bbox_to_anchor=(1.3, 1.1))
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
    for k, b in enumerate(boards):
        for kind, fn in (("bars", grouped_bars), ("radar", radar)):
            fig = fn(b)
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
