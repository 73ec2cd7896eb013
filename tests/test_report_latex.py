"""Paper-ready LaTeX: ASCII only (pdflatex-safe), booktabs stated, --columns, width options, runs beside
the paper's rows under the paper's method names; compiled with pdflatex where it is installed."""
from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from talkbench.baselines.published import select_tables
from talkbench.cli import main
from talkbench.reports.board import build_boards, published_label
from talkbench.reports.runs import load_runs
from talkbench.reports.table import RenderOptions, latex_escape, render_table, select_columns

from .report_fixtures import make_run

PDFLATEX = shutil.which("pdflatex")


@pytest.fixture
def mini_runs(tmp_path):
    """Runs on the mini protocols, as `talkbench demo` writes them (not the paper's protocol)."""
    same = make_run(tmp_path / "same", "source-copy", {"psnr": [20.0, 21.0], "ssim": [0.7, 0.8], "l1": [0.05, 0.06],
                                                        "mse": [0.01, 0.02]}, protocol="mini-same-id",
                    comparable=False)
    cross = make_run(tmp_path / "cross", "landmark-warp", {"csim": [0.7, 0.72], "aed": [0.2, 0.3]},
                     protocol="mini-cross-id", comparable=False)
    nxn = make_run(tmp_path / "nxn", "input-view", {"psnr": [float("inf"), float("inf")]}, protocol="mini-nxn",
                   comparable=False, run_info={"name": "σ→τ · run"})
    return [same, cross, nxn]


def test_latex_escape_is_ascii_for_the_characters_reports_use():
    text = "σ → · ∞ ± † Δ − — … × ✓ é ü ≤ ≥ ² 中 100% a_b #1 {x} ~ ^ \\"
    out = latex_escape(text)
    assert out.isascii()
    assert "$" not in out.replace(r"\$", "")  # no inline math: \ensuremath never forms "$$"
    for want in (r"\ensuremath{\sigma}", r"\ensuremath{\rightarrow}", r"\ensuremath{\cdot}", r"\ensuremath{\infty}",
                 r"\ensuremath{\pm}", r"\dag{}", r"\ensuremath{\Delta}", "---", r"\ldots{}", r"\ensuremath{\times}",
                 " e u ", r"\ensuremath{\leq}", r"\ensuremath{\geq}", r"\ensuremath{^2}", "[U+4E2D]", r"100\%", r"a\_b", r"\#1",
                 r"\{x\}", r"\textasciitilde{}", r"\textasciicircum{}", r"\textbackslash{}"):
        assert want in out, want


def test_paper_method_names_replace_ours():
    t1 = select_tables(["real3d.t1.same-id"])[0]
    assert published_label(t1, "Ours (VD)") == "Real3D-Portrait (VD)"
    talk3d = select_tables(["talk3d"])[0]
    assert published_label(talk3d, "Talk3D (Ours)") == "Talk3D"
    assert published_label(t1, "Face-vid2vid") == "Face-vid2vid"


def test_runs_beside_paper_rows_one_table_per_paper_protocol(mini_runs, capsys):
    """`report RUNS --published real3d.t1`: same-id runs join the same-id table, cross-id runs the
    cross-id one, each with a footnote naming both protocols; the N×N run has no table to join."""
    runs = load_runs(mini_runs)
    boards = build_boards(runs, select_tables(["real3d.t1"]))
    by_protocol = {b.protocol: b for b in boards}
    assert list(by_protocol) == ["celebvhq-same-id-substitute", "celebvhq-cross-id-substitute", "mini-nxn"]
    same = by_protocol["celebvhq-same-id-substitute"]
    assert [r.method for r in same.rows] == ["source-copy", "Face-vid2vid", "OTAvatar", "HiDe-NeRF", "Real3D-Portrait (VD)"]
    note = same.footnotes[same.rows[0].notes[0] - 1]
    assert "run on protocol mini-same-id, the paper rows on another (Real3D-Portrait Table 1 (Same-Identity " \
           "Reenactment): celebvhq-same-id-substitute)" in note
    assert same.rows[0].cells["psnr"].mark is None and not same.rows[0].ranked
    assert [r.method for r in by_protocol["celebvhq-cross-id-substitute"].rows][0] == "landmark-warp"

    assert main(["report", *map(str, mini_runs), "--published", "real3d.t1", "--format", "latex"]) == 0
    tex = capsys.readouterr().out
    assert tex.isascii()
    assert tex.count(r"\begin{table}") == 3 and tex.count("% talkbench table: needs \\usepackage{booktabs}") == 3
    assert r"\ensuremath{\sigma}\ensuremath{\rightarrow}\ensuremath{\tau} \ensuremath{\cdot} run" in tex  # --name
    assert r"\ensuremath{\infty}" in tex and "Real3D-Portrait (VD)" in tex and "Ours" not in tex


def test_columns_choose_and_order(mini_runs, capsys):
    runs = load_runs(mini_runs[:1])
    boards = select_columns(build_boards(runs, []), ["MSE", "psnr"])
    assert [c.key for c in boards[0].columns] == ["mse", "psnr"]
    with pytest.raises(ValueError, match="unknown column.*fid.*the boards have: psnr, ssim, l1, mse"):
        select_columns(build_boards(runs, []), ["fid"])
    assert main(["report", str(mini_runs[0]), "--columns", "mse,psnr", "--format", "csv"]) == 0
    header = capsys.readouterr().out.splitlines()[0]
    assert header == "board,method,source,kind,mse,psnr,notes"
    assert main(["report", str(mini_runs[0]), "--columns", "fid"]) == 2


@pytest.mark.parametrize("width,begin,wrapped", [
    ("fit", r"\begin{tabular}{llrr}", r"\resizebox{\ifdim\width>\linewidth\linewidth\else\width\fi}{!}{%"),
    ("resize", r"\begin{tabular}{llrr}", r"\resizebox{\linewidth}{!}{%"),
    ("tabular*", r"\begin{tabular*}{\linewidth}{@{\extracolsep{\fill}}llrr}", None),
    ("natural", r"\begin{tabular}{llrr}", None),
])
def test_width_options(mini_runs, width, begin, wrapped):
    (board,) = select_columns(build_boards(load_runs(mini_runs[:1]), []), ["psnr", "l1"])
    tex = render_table(board, "latex", RenderOptions(latex_width=width))
    assert begin in tex
    body = "\n".join(line for line in tex.splitlines() if not line.startswith("%"))
    assert (wrapped in body) if wrapped else r"\resizebox" not in body
    assert body.count("{") == body.count("}")


def _document(body: str) -> str:
    return ("\\documentclass{article}\n\\usepackage{booktabs}\n\\usepackage{graphicx}\n\\begin{document}\n"
            + body + "\n\\end{document}\n")


@pytest.mark.skipif(PDFLATEX is None, reason="pdflatex is not installed (texlive-latex-recommended, ~130 MB with its "
                                              "dependencies, is not part of `make system-deps`)")
def test_pdflatex_compiles_runs_beside_paper_rows_without_overfull_boxes(mini_runs, tmp_path, capsys):
    assert main(["report", *map(str, mini_runs), "--published", "real3d.t1", "--format", "latex", "--ci", "--n"]) == 0
    (tmp_path / "t.tex").write_text(_document(capsys.readouterr().out), encoding="ascii")
    res = subprocess.run([PDFLATEX, "-interaction=nonstopmode", "-halt-on-error", "t.tex"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stdout[-3000:]
    log = (tmp_path / "t.log").read_text(errors="replace")
    assert (tmp_path / "t.pdf").is_file() and not re.search(r"Overfull \\hbox \((\d+\.\d+)pt too wide\) in alignment", log)
