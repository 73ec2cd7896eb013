"""`talkbench mos`: Likert ratings -> MOS with 95% intervals, checked against scipy and by hand."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from talkbench.cli import main
from talkbench.errors import InputError
from talkbench.reports.mos import mos_board, rater_bootstrap, read_ratings, t_interval

ROWS = [  # rater, sample, method, aspect, score
    ("r1", "s1", "ours", "lip sync", 5), ("r1", "s2", "ours", "lip sync", 4), ("r2", "s1", "ours", "lip sync", 4),
    ("r2", "s2", "ours", "lip sync", 3), ("r3", "s1", "ours", "lip sync", 5), ("r3", "s2", "ours", "lip sync", 5),
    ("r1", "s1", "base", "lip sync", 2), ("r1", "s2", "base", "lip sync", 3), ("r2", "s1", "base", "lip sync", 3),
    ("r2", "s2", "base", "lip sync", 2), ("r3", "s1", "base", "lip sync", 4), ("r3", "s2", "base", "lip sync", 3),
    ("r1", "s1", "ours", "quality", 4), ("r2", "s1", "ours", "quality", 4),
    ("r1", "s1", "base", "quality", 5), ("r2", "s1", "base", "quality", 4),
]


def _csv(tmp_path, rows=ROWS, header="rater,sample,method,aspect,score"):
    p = tmp_path / "ratings.csv"
    p.write_text(header + "\n" + "\n".join(",".join(map(str, r)) for r in rows) + "\n", encoding="utf-8")
    return p


def test_mean_and_t_interval_match_scipy(tmp_path):
    board = mos_board(read_ratings(_csv(tmp_path)))
    ours = next(r for r in board.rows if r.label == "ours").cells
    scores = np.array([5, 4, 4, 3, 5, 5], dtype=float)
    assert ours["lip sync"].value == pytest.approx(26 / 6)
    ref = stats.t.interval(0.95, 5, loc=scores.mean(), scale=stats.sem(scores))
    assert ours["lip sync"].ci95 == pytest.approx(ref)
    assert ours["n_raters"].value == 3 and ours["n_samples"].value == 2
    # hand check of the half-width: t(0.975, 5) = 2.5706, sd = 0.8165, n = 6
    assert (ours["lip sync"].ci95[1] - ours["lip sync"].ci95[0]) / 2 == pytest.approx(2.5706 * 0.8165 / math.sqrt(6), abs=1e-3)
    assert ours["lip sync"].mark == "best"
    base = next(r for r in board.rows if r.label == "base").cells
    assert base["quality"].mark == "best" and ours["quality"].mark == "second"


def test_rater_bootstrap_is_seeded_and_brackets_the_mean(tmp_path):
    ratings = [r for r in read_ratings(_csv(tmp_path)) if r.method == "ours" and r.aspect == "lip sync"]
    a, b = rater_bootstrap(ratings), rater_bootstrap(ratings)
    assert a == b and a[0] <= 26 / 6 <= a[1]
    # rater means are 4.5, 3.5, 5.0: the interval cannot leave their range
    assert 3.5 <= a[0] and a[1] <= 5.0
    assert t_interval(np.array([3.0])) is None


def test_cli_tables_print_pm(tmp_path, capsys):
    p = _csv(tmp_path)
    assert main(["mos", str(p)]) == 0
    out = capsys.readouterr().out
    assert "**4.33**±0.86" in out and "Mean opinion scores" in out and "Student-t" in out
    assert main(["mos", str(p), "--format", "latex", "--interval", "bootstrap-raters"]) == 0
    assert r"\textbf{4.33}\ensuremath{\pm}" in capsys.readouterr().out


def test_bad_ratings_are_rejected_with_line(tmp_path):
    with pytest.raises(InputError, match="line 3: score 6 is outside"):
        read_ratings(_csv(tmp_path, ROWS[:1] + [("r1", "s2", "ours", "lip sync", 6)]))
    with pytest.raises(InputError, match="lacks column"):
        read_ratings(_csv(tmp_path, ROWS, header="rater,sample,method,score,x"))
    assert main(["mos", str(tmp_path / "absent.csv")]) == 2
