"""User studies: Likert ratings -> mean opinion scores with 95% intervals, as Real3D-Portrait (Table 3)
and Talk3D (Table D.2) print them.

Input CSV columns: ``rater, sample, method, aspect, score`` (score an integer or number in 1..5).
Per method and aspect: the mean of all ratings and either a Student-t interval over the ratings
(default) or a percentile bootstrap over raters (each resample draws raters with replacement and
takes the mean of all their ratings; seeded), plus the number of raters and samples.
"""
from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InputError
from .board import Board, Cell, Column, Row, rank

REQUIRED = ("rater", "sample", "method", "aspect", "score")
SCALE = (1.0, 5.0)


@dataclass(frozen=True)
class Rating:
    rater: str
    sample: str
    method: str
    aspect: str
    score: float


def read_ratings(path: str | Path) -> list[Rating]:
    p = Path(path)
    if not p.is_file():
        raise InputError(p, "does not exist", "pass a CSV with columns " + ", ".join(REQUIRED))
    with p.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
        if missing:
            raise InputError(p, f"lacks column(s) {', '.join(missing)}", "the header must name " + ", ".join(REQUIRED))
        out = []
        for line, rec in enumerate(reader, start=2):
            try:
                score = float(rec["score"])
            except (TypeError, ValueError):
                raise InputError(p, f"line {line}: score {rec['score']!r} is not a number", "use 1..5") from None
            if not SCALE[0] <= score <= SCALE[1]:
                raise InputError(p, f"line {line}: score {score:g} is outside the 1..5 Likert scale", "fix the rating")
            if not all((rec.get(c) or "").strip() for c in REQUIRED[:4]):
                raise InputError(p, f"line {line}: rater, sample, method and aspect must all be filled", "fix the row")
            out.append(Rating(rec["rater"].strip(), rec["sample"].strip(), rec["method"].strip(), rec["aspect"].strip(), score))
    if not out:
        raise InputError(p, "holds no ratings", "add rows below the header")
    return out


def t_interval(scores: np.ndarray, level: float = 0.95) -> tuple[float, float] | None:
    from scipy import stats

    n = scores.size
    if n < 2:
        return None
    mean = float(scores.mean())
    half = float(stats.t.ppf(0.5 + level / 2, n - 1) * scores.std(ddof=1) / math.sqrt(n))
    return mean - half, mean + half


def rater_bootstrap(ratings: list[Rating], n_resamples: int = 2000, seed: int = 0,
                    level: float = 0.95) -> tuple[float, float] | None:
    raters = sorted({r.rater for r in ratings})
    if len(raters) < 2:
        return None
    sums = np.array([sum(r.score for r in ratings if r.rater == k) for k in raters])
    counts = np.array([sum(1 for r in ratings if r.rater == k) for k in raters], dtype=np.float64)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(raters), size=(n_resamples, len(raters)))
    means = sums[idx].sum(axis=1) / counts[idx].sum(axis=1)
    lo, hi = np.quantile(means, [(1 - level) / 2, 1 - (1 - level) / 2])
    return float(lo), float(hi)


def mos_board(ratings: list[Rating], method: str = "t", title: str = "Mean opinion scores") -> Board:
    """Rows: methods (first-seen order); columns: aspects, then numbers of raters and samples."""
    methods = list(dict.fromkeys(r.method for r in ratings))
    aspects = list(dict.fromkeys(r.aspect for r in ratings))
    cols = [Column(a, a, True, SCALE, "1-5", digits=2) for a in aspects]
    cols += [Column("n_raters", "raters", None, digits=0), Column("n_samples", "samples", None, digits=0)]
    interval = "Student-t interval over ratings" if method == "t" else "percentile bootstrap over raters (seed 0)"
    board = Board(title=title, columns=cols, caption=[f"Mean ± half-width of the 95% {interval}; scale 1-5."])
    for m in methods:
        mine = [r for r in ratings if r.method == m]
        cells = {}
        for a in aspects:
            sel = [r for r in mine if r.aspect == a]
            if not sel:
                cells[a] = Cell(None)
                continue
            scores = np.array([r.score for r in sel])
            ci = t_interval(scores) if method == "t" else rater_bootstrap(sel)
            cells[a] = Cell(float(scores.mean()), ci, n=len(sel))
        cells["n_raters"] = Cell(float(len({r.rater for r in mine})))
        cells["n_samples"] = Cell(float(len({r.sample for r in mine})))
        board.rows.append(Row(m, "user study", cells, kind="mos"))
    return rank(board)
