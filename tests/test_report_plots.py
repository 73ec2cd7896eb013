"""Plots: heatmaps of saved score matrices (NVV/IVV titles), radar normalisation, curves, speed, files."""
from __future__ import annotations

import numpy as np
import pytest

from talkbench.errors import InputError
from talkbench.metrics.multiview import ivv, nvv
from talkbench.reports.board import build_boards
from talkbench.reports.figures import (close, grouped_bars, normalise, per_frame_curves, radar, report_figures,
                                       speed_scatter, write_all_plots)
from talkbench.reports.runs import Run, load_runs

from .report_fixtures import make_run


def test_normalise_uses_card_range_and_direction():
    assert normalise(0.5, (-1.0, 1.0), [0.5, 0.9], True) == pytest.approx(0.75)
    assert normalise(0.25, (0.0, 1.0), [0.25], False) == pytest.approx(0.75)  # lower is better: flipped
    # unbounded range (PSNR): min/max of the plotted rows
    assert normalise(20.0, (0.0, None), [20.0, 30.0], True) == 0.0
    assert normalise(30.0, (0.0, None), [20.0, 30.0], True) == 1.0
    assert normalise(5.0, (None, None), [5.0, 5.0], True) == 0.5


def test_heatmap_from_artifacts_titles_nvv_ivv(tmp_path, rng):
    S = 20.0 + rng.normal(size=(3, 4, 4))
    (tmp_path / "r" / "matrices").mkdir(parents=True)
    np.save(tmp_path / "r" / "matrices" / "psnr.npy", S)
    path = make_run(tmp_path / "r", "lp3d", {"psnr": [20.0, 21.0]},
                    artifacts={"matrices": {"psnr": "matrices/psnr.npy"}, "camera_labels": {"psnr": list("abcd")}})
    run = Run.load(path)
    figs = dict(report_figures([], [run]))
    fig = figs["run0-matrix-psnr"]
    title = fig.axes[0].get_title()
    assert f"NVV {nvv(S):.3f}" in title and f"IVV {ivv(S):.3f}" in title and "T=3" in title
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == list("abcd")
    np.testing.assert_allclose(fig.axes[0].images[0].get_array(), S.mean(axis=0))
    for _, f in figs.items():
        close(f)


def test_matrix_path_may_not_leave_result_folder(tmp_path):
    path = make_run(tmp_path / "r", "m", {"psnr": [20.0, 21.0]}, artifacts={"matrices": {"psnr": "../evil.npy"}})
    with pytest.raises(InputError, match="leaves the result folder"):
        Run.load(path).matrices


def test_bars_radar_curves_speed(tmp_path):
    a = make_run(tmp_path / "a", "a", {"psnr": [20.0, 21.0], "ssim": [0.8, 0.9], "l1": [0.05, 0.06]},
                 per_frame=True, run_info={"speed": {"fps": 12.5}})
    b = make_run(tmp_path / "b", "b", {"psnr": [18.0, 19.0], "ssim": [0.7, 0.8], "l1": [0.07, 0.06]})
    runs = load_runs([a, b])
    (board,) = build_boards(runs, [])
    bars = grouped_bars(board)
    assert [ax.get_title() for ax in bars.axes[:3]] == ["PSNR ↑", "SSIM ↑", "L1 ↓"]
    heights = [p.get_height() for p in bars.axes[0].patches]
    assert heights == [runs[0].metrics["psnr"]["value"], runs[1].metrics["psnr"]["value"]]
    rad = radar(board)
    line_a = rad.axes[0].lines[0].get_ydata()
    lo, hi = runs[0].metrics["ssim"]["card"]["range"]
    ssim_a = (runs[0].metrics["ssim"]["value"] - lo) / (hi - lo)  # bounded card range: absolute scale
    # PSNR and L1 have open ranges: min/max over the rows, and run a is best on both
    assert list(line_a[:3]) == pytest.approx([1.0, ssim_a, 1.0])
    curves = per_frame_curves(runs[0], "psnr")
    assert len(curves.axes[0].lines) == 2 and len(curves.axes[0].lines[0].get_ydata()) == 6
    assert per_frame_curves(runs[1], "psnr") is None  # no per-frame series stored
    sc = speed_scatter(runs, "psnr")
    assert sc.axes[0].collections[0].get_offsets().tolist() == [[12.5, runs[0].metrics["psnr"]["value"]]]
    for f in (bars, rad, curves, sc):
        close(f)
    paths = write_all_plots([board], runs, tmp_path / "plots")
    names = {p.name for p in paths}
    assert {"board0-bars.png", "board0-bars.pdf", "board0-radar.png", "run0-frames-psnr.pdf", "speed-psnr.png"} <= names
    for p in paths:
        head = p.read_bytes()[:8]
        assert head == b"\x89PNG\r\n\x1a\n" if p.suffix == ".png" else head.startswith(b"%PDF")


def _bars_by_label(fig, panel: int):
    ax = fig.axes[panel]
    labels = [t.get_text() for t in ax.get_xticklabels()]
    return ax, dict(zip(labels, ax.patches))


def test_colour_is_fixed_per_method_across_boards(tmp_path):
    from matplotlib.colors import to_hex

    from talkbench.reports.figures import method_colours

    a1 = make_run(tmp_path / "a1", "alpha", {"psnr": [20.0, 21.0]}, protocol="p1")
    b1 = make_run(tmp_path / "b1", "beta", {"psnr": [22.0, 21.0]}, protocol="p1")
    b2 = make_run(tmp_path / "b2", "beta", {"psnr": [18.0, 19.0]}, protocol="p2")  # beta first on this board
    runs = load_runs([a1, b1, b2])
    assert runs[1].label == runs[2].label == "beta"  # the same method on two protocols keeps its name
    boards = build_boards(runs, [])
    colours = method_colours(boards)
    figs = [grouped_bars(b, colours) for b in boards]
    _, first = _bars_by_label(figs[0], 0)
    _, second = _bars_by_label(figs[1], 0)
    assert to_hex(first["beta"].get_facecolor()) == to_hex(second["beta"].get_facecolor()) == colours["beta"]
    assert to_hex(first["alpha"].get_facecolor()) != colours["beta"]
    for f in figs:
        close(f)


def test_no_error_bars_without_ci_and_infinite_values_capped(tmp_path):
    from talkbench.baselines.published import select_tables

    inf_run = make_run(tmp_path / "o", "oracle", {"psnr": [float("inf"), float("inf")], "l1": [0.0, 0.0]})
    runs = load_runs([inf_run])
    (board,) = build_boards(runs, select_tables(["real3d.t1.same-id"]))
    fig = grouped_bars(board)
    ax, bars = _bars_by_label(fig, [a.get_title() for a in fig.axes].index("PSNR ↑"))
    # published rows and the oracle have no CI: no error bar lines at all
    assert not [c for c in ax.containers if type(c).__name__ == "ErrorbarContainer"]
    oracle = bars[next(k for k in bars if k.startswith("oracle"))]
    finite_top = max(p.get_height() for k, p in bars.items() if not k.startswith("oracle"))
    assert oracle.get_height() > finite_top  # drawn at the cap, above every finite bar
    assert any(t.get_text() == "∞" for t in ax.texts)
    assert ax.get_ylim()[1] > oracle.get_height()
    assert "infinite value" in " ".join(t.get_text() for t in fig.texts)
    close(fig)


def test_error_bars_only_where_a_ci_exists(tmp_path):
    a = make_run(tmp_path / "a", "a", {"psnr": [20.0, 21.0, 22.0]})
    b = make_run(tmp_path / "b", "b", {"psnr": [20.0]})  # one item: no bootstrap CI
    (board,) = build_boards(load_runs([a, b]), [])
    fig = grouped_bars(board)
    errbars = [c for c in fig.axes[0].containers if type(c).__name__ == "ErrorbarContainer"]
    assert len(errbars) == 1
    lo, hi = board.rows[0].cells["psnr"].ci95
    seg = errbars[0].lines[2][0].get_segments()[0]
    assert seg[0][1] == pytest.approx(lo) and seg[1][1] == pytest.approx(hi)
    close(fig)


def test_non_comparable_runs_hatched_dashed_and_labelled(tmp_path):
    ok = make_run(tmp_path / "ok", "ok", {"psnr": [20.0, 21.0], "ssim": [0.8, 0.9], "l1": [0.05, 0.06]})
    smoke = make_run(tmp_path / "smoke", "smoke", {"psnr": [18.0, 19.0], "ssim": [0.7, 0.8], "l1": [0.07, 0.06]},
                     comparable=False)
    (board,) = build_boards(load_runs([ok, smoke]), [])
    fig = grouped_bars(board)
    _, bars = _bars_by_label(fig, 0)
    assert bars["ok"].get_hatch() is None and bars["smoke †"].get_hatch() == "///"
    assert "hatched, †: not comparable" in " ".join(t.get_text() for t in fig.texts)
    rad = radar(board)
    styles = {line.get_label(): line.get_linestyle() for line in rad.axes[0].lines}
    assert styles == {"ok": "-", "smoke †": "--"}
    ticks = [t.get_text() for t in rad.axes[0].get_xticklabels()]
    assert ticks[1] == "SSIM ↑\n(card range [-1, 1])" and ticks[0].startswith("PSNR ↑\n(min–max of plotted rows [")
    assert "rescaled to [0, 1]" in rad.axes[0].get_title()
    for f in (fig, rad):
        close(f)


def test_heatmap_of_a_matrix_with_an_infinite_diagonal_labels_it(tmp_path):
    import numpy as np

    from talkbench.reports.heatmap import matrix_figure

    S = np.full((2, 3, 3), 20.0)
    S[:, range(3), range(3)] = np.inf  # PSNR of the input view rendered at itself
    fig = matrix_figure(S, "psnr")
    labels = [t.get_text() for t in fig.axes[0].texts]
    assert labels.count("∞") == 3 and labels.count("20.00") == 6
