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
