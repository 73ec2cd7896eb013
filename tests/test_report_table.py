"""Leaderboard boards and their Markdown / LaTeX / CSV / HTML renderings."""
from __future__ import annotations

import io
import math

import pandas as pd
import pytest

from talkbench.baselines.published import select_tables
from talkbench.cli import main
from talkbench.reports.board import BEST, SECOND, build_boards, rank, reproduction_board
from talkbench.reports.runs import Run, load_runs
from talkbench.reports.table import RenderOptions, latex_escape, markdown_escape, render_csv, render_table

from .report_fixtures import csim_card, make_run


@pytest.fixture
def two_runs(tmp_path):
    # A wins PSNR (higher is better), B wins L1 (lower is better).
    a = make_run(tmp_path / "a", "model-a", {"psnr": [20.0, 20.2, 19.8], "l1": [0.08, 0.09, 0.07],
                                             "csim": [0.83, 0.82, 0.84]}, cards={"csim": csim_card()})
    b = make_run(tmp_path / "b", "model-b", {"psnr": [18.0, 18.2, 17.8], "l1": [0.05, 0.04, 0.06],
                                             "csim": [0.80, 0.81, 0.79]}, cards={"csim": csim_card()})
    return load_runs([a, b])


def _marks(board, key):
    return {r.label: r.cells[key].mark for r in board.rows if key in r.cells}


def test_best_and_second_follow_card_direction(two_runs):
    (board,) = build_boards(two_runs, [])
    assert _marks(board, "psnr") == {"model-a": BEST, "model-b": SECOND}
    assert _marks(board, "l1") == {"model-b": BEST, "model-a": SECOND}
    assert board.column("psnr").higher_is_better is True and board.column("l1").higher_is_better is False
    md = render_table(board, "md")
    row_a = next(line for line in md.splitlines() if line.startswith("| model-a"))
    row_b = next(line for line in md.splitlines() if line.startswith("| model-b"))
    assert "**20.00**" in row_a and "<u>0.080</u>" in row_a
    assert "**0.050**" in row_b and "<u>18.00</u>" in row_b
    assert "PSNR ↑" in md and "L1 ↓" in md


def test_ranking_with_published_rows_and_ties(two_runs):
    (board,) = build_boards(two_runs, select_tables(["real3d.t1.same-id"]))
    psnr = _marks(board, "psnr")
    assert psnr["model-a"] == BEST and psnr["Real3D-Portrait (VD)"] == SECOND and psnr["model-b"] is None
    l1 = _marks(board, "l1")  # model-b 0.050 beats the paper's best 0.067
    assert l1["model-b"] == BEST and l1["Real3D-Portrait (VD)"] == SECOND
    fid = _marks(board, "fid")  # only published rows have FID
    assert fid["Real3D-Portrait (VD)"] == BEST and fid["Face-vid2vid"] == SECOND
    # ties at the printed precision share the mark
    board.rows[0].cells["l1"].value = 0.0501
    rank(board)
    assert board.rows[0].cells["l1"].mark == BEST and board.rows[1].cells["l1"].mark == BEST


def test_caption_has_protocol_version_hash(two_runs):
    (board,) = build_boards(two_runs, select_tables(["real3d.t1.same-id"]))
    assert board.caption[0] == "Protocol celebvhq-same-id-substitute v1.0 (hash cccccccccccccccc)"
    assert any("Real3D-Portrait Table 1 (Same-Identity Reenactment)" in c for c in board.caption)


def test_backbone_footnote_only_where_it_differs(two_runs):
    (board,) = build_boards(two_runs, select_tables(["real3d.t1.same-id"]))
    run_a = board.rows[0]
    assert run_a.cells["psnr"].notes == []  # the paper states no backbone for PSNR, and PSNR has none
    (k,) = run_a.cells["csim"].notes
    note = board.footnotes[k - 1]
    assert "arcface-test" in note and "ArcFace (Deng et al., 2019a)" in note
    # Export3D states a preprocessing for all columns: PSNR then gets a preprocessing footnote
    runs = [Run.load(two_runs[0].path)]
    runs[0].summary["protocol"]["id"] = "vfhq-same-id"
    (b2,) = build_boards(runs, select_tables(["export3d.t1.same-id"]))
    (k2,) = b2.rows[0].cells["psnr"].notes
    assert "nose at the centre" in b2.footnotes[k2 - 1]


def test_boards_split_by_protocol(two_runs):
    boards = build_boards(two_runs, select_tables(["real3d.t1"]))
    assert [b.protocol for b in boards] == ["celebvhq-same-id-substitute", "celebvhq-cross-id-substitute"]
    assert [r.label for r in boards[1].rows] == ["Face-vid2vid", "OTAvatar", "HiDe-NeRF", "Real3D-Portrait (VD)"]


def test_latex_escaping_and_marks(tmp_path):
    name = r"a_b & c% $x$ #1 {y} ~z^ \path"
    p1 = make_run(tmp_path / "x", name, {"psnr": [30.0, 31.0]})
    p2 = make_run(tmp_path / "y", "plain", {"psnr": [20.0, 21.0]})
    (board,) = build_boards(load_runs([p1, p2]), [])
    tex = render_table(board, "latex")
    assert (r"a\_b \& c\% \$x\$ \#1 \{y\} \textasciitilde{}z\textasciicircum{} \textbackslash{}path") in tex
    assert r"\textbf{30.50}" in tex and r"\underline{20.50}" in tex
    assert r"PSNR \ensuremath{\uparrow}" in tex and r"\begin{tabular}{llr}" in tex
    assert latex_escape("±↓") == r"\ensuremath{\pm}\ensuremath{\downarrow}"


def test_markdown_escaping_keeps_columns(tmp_path):
    p = make_run(tmp_path / "x", "evil|name *bold* <b>", {"psnr": [30.0, 31.0]})
    (board,) = build_boards(load_runs([p]), [])
    md = render_table(board, "md")
    row = next(line for line in md.splitlines() if line.startswith("| evil"))
    assert row.replace("\\|", "").count("|") == 4  # 3 cells
    assert "&lt;b&gt;" in row and "\\*bold\\*" in row
    assert markdown_escape("a_b") == "a\\_b"


def test_csv_round_trip_with_ci_and_n(two_runs):
    (board,) = build_boards(two_runs, select_tables(["real3d.t1.same-id"]))
    text = render_table(board, "csv", RenderOptions(ci=True, n=True))
    df = pd.read_csv(io.StringIO(text), float_precision="round_trip")
    for run in two_runs:
        row = df[df["method"] == run.label].iloc[0]
        for name, m in run.metrics.items():
            assert row[name] == m["value"]  # exact: repr precision
            assert (row[f"{name}_ci_lo"], row[f"{name}_ci_hi"]) == tuple(m["ci95"])
            assert row[f"{name}_n"] == m["n"]
    ours = df[df["method"] == "Real3D-Portrait (VD)"].iloc[0]
    assert ours["akd"] == 2.829 and math.isnan(ours["psnr_ci_lo"]) and ours["kind"] == "published"


def test_csv_of_several_protocols_is_one_frame(tmp_path):
    a = make_run(tmp_path / "a", "m1", {"psnr": [30.0, 32.0]}, protocol="hdtf-same-id")
    b = make_run(tmp_path / "b", "m1", {"akd": [1.5]}, protocol="hdtf-cross-id")
    boards = build_boards(load_runs([a, b]), [])
    assert len(boards) == 2
    df = pd.read_csv(io.StringIO(render_csv(boards)), float_precision="round_trip")
    assert list(df.columns[:4]) == ["board", "method", "source", "kind"] and len(df) == 2
    assert df["board"].tolist() == [boards[0].title, boards[1].title] and boards[0].title != boards[1].title
    first, second = df.iloc[0], df.iloc[1]
    assert first["psnr"] == 31.0 and math.isnan(first["akd"])
    assert second["akd"] == 1.5 and math.isnan(second["psnr"])


def test_ci_and_n_in_markdown(two_runs):
    (board,) = build_boards(two_runs, [])
    md = render_table(board, "md", RenderOptions(ci=True, n=True))
    lo, hi = two_runs[0].metrics["psnr"]["ci95"]
    assert f"**20.00** \\[{lo:.2f}, {hi:.2f}\\] (n=3)" in md


def test_reported_vs_reproduced(two_runs):
    table = select_tables(["real3d.t1.same-id"])[0]
    board = reproduction_board(two_runs[0], table, "Ours (VD)")
    rows = {r.source: r for r in board.rows}
    assert set(rows) == {"PSNR", "L1", "CSIM"}
    psnr = rows["PSNR"].cells
    assert psnr["reported"].value == 18.95
    assert psnr["diff"].value == pytest.approx(two_runs[0].metrics["psnr"]["value"] - 18.95)
    assert psnr["in_ci"].text == "no"  # 18.95 is below model-a's CI
    assert rows["CSIM"].notes  # backbone footnote


def test_cli_report_all_formats(two_runs, tmp_path, capsys):
    paths = [str(r.path) for r in two_runs]
    for fmt in ("md", "latex", "csv", "html"):
        out = tmp_path / f"r.{fmt}"
        assert main(["report", *paths, "--published", "real3d.t1.same-id", "--format", fmt, "--out", str(out)]) == 0
        text = out.read_text(encoding="utf-8")
        assert "Real3D-Portrait (VD)" in text and "model-a" in text
    assert main(["report", *paths, "--published", "real3d.t1.same-id", "--vs", "Ours (VD)"]) == 0
    assert "Reported vs reproduced" in capsys.readouterr().out
    assert main(["report", *paths, "--published", "no.such.table"]) == 2
    assert main(["report"]) == 2


def test_multiview_run_joins_triplane_columns(tmp_path):
    from talkbench.metrics.registry import REGISTRY

    cards = {"synthesis_quality": REGISTRY.card("synthesis_quality"), "nvv": REGISTRY.card("nvv")}
    p = make_run(tmp_path / "mv", "mine", {"synthesis_quality": [23.0, 23.2], "nvv": [0.2, 0.3]}, cards=cards,
                 protocol="nersemble-nxn-substitute")
    (board,) = build_boards(load_runs([p]), select_tables(["triplane.t2"]))
    mine = board.rows[0]
    assert set(mine.cells) == {"synthesis_quality[base=psnr]", "nvv[base=psnr]"}
    assert mine.cells["synthesis_quality[base=psnr]"].mark == BEST  # 23.1 > the paper's best 22.770
    assert mine.cells["nvv[base=psnr]"].mark == BEST  # 0.25 < 1.315, lower is better
    assert board.column("nvv[base=psnr]").label == "NVV (PSNR)"


def test_stand_in_metric_fills_paper_id_column(tmp_path):
    p = make_run(tmp_path / "mv", "mine", {"csim": [0.80, 0.84]}, cards={"csim": csim_card()},
                 protocol="nersemble-nxn-substitute")
    run = load_runs([p])[0]
    (board,) = build_boards([run], select_tables(["triplane.t1"]))
    cell = board.rows[0].cells["id_distance"]
    assert cell.value == pytest.approx(1 - 0.82)
    lo, hi = run.metrics["csim"]["ci95"]
    assert cell.ci95 == pytest.approx((1 - hi, 1 - lo))
    assert board.column("id_distance").higher_is_better is False  # the paper's direction, not CSIM's
    assert cell.mark == BEST  # 0.18 < the paper's best 0.187
    assert any("1 − CSIM" in board.footnotes[k - 1] for k in cell.notes)
    rep = reproduction_board(run, select_tables(["triplane.t1"])[0], "Ours")
    assert rep.rows[0].cells["diff"].value == pytest.approx(0.18 - 0.187)


def test_infinite_psnr_ranks_best(two_runs):
    (board,) = build_boards(two_runs, [])
    board.rows[1].cells["psnr"].value = math.inf  # an oracle: identical frames
    rank(board)
    assert _marks(board, "psnr") == {"model-b": BEST, "model-a": SECOND}
    board.rows[1].cells["psnr"].value = math.nan  # undefined takes no part
    rank(board)
    assert _marks(board, "psnr")["model-b"] is None


def test_columns_without_any_value_are_left_out_and_named_once(tmp_path):
    """The demo without official weights: CSIM/FID columns of dashes are dropped and listed in the caption."""
    a = make_run(tmp_path / "a", "a", {"psnr": [20.0, 21.0], "fid": [None, None], "kid": [None, None]})
    b = make_run(tmp_path / "b", "b", {"psnr": [22.0, 21.0], "fid": [None, None]})
    (board,) = build_boards(load_runs([a, b]), [])
    assert [c.key for c in board.columns] == ["psnr"]
    assert board.caption[-1] == "No value in any row, not shown: FID, KID."
    md = render_table(board, "md")
    assert md.count("FID") == 1 and "| — |" not in md
    # a column that the paper fills stays, with the runs' dashes
    (pub,) = build_boards(load_runs([a]), select_tables(["real3d.t1.same-id"]))
    assert "fid" in [c.key for c in pub.columns] and pub.caption[-1] == "No value in any row, not shown: KID."


def test_csv_neutralises_formulas_but_not_negative_numbers(tmp_path):
    evil = make_run(tmp_path / "e", '=HYPERLINK("http://x","y")', {"kid": [-0.002, -0.004]})
    plus = make_run(tmp_path / "p", "+cmd|' /C calc'!A0", {"kid": [0.001, 0.003]})
    (board,) = build_boards(load_runs([evil, plus]), [])
    df = pd.read_csv(io.StringIO(render_csv(board)), float_precision="round_trip")
    assert sorted(df["method"]) == sorted(["'=HYPERLINK(\"http://x\",\"y\")", "'+cmd|' /C calc'!A0"])
    assert sorted(df["kid"]) == [-0.003, 0.002]  # a negative value stays a number


def test_latex_name_with_a_blank_line_stays_on_its_row(tmp_path):
    p = make_run(tmp_path / "x", "two\n\nlines", {"psnr": [30.0, 31.0]})
    (board,) = build_boards(load_runs([p]), [])
    tex = render_table(board, "latex")
    assert "two  lines" in tex and "\n\n" not in tex.split(r"\begin{tabular}")[1]
