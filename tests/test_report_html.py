"""The self-contained HTML report: content, escaping, and a render in headless Chromium."""
from __future__ import annotations

import re
import shutil
import subprocess
from html import escape as html_escape

import pytest

from talkbench.cli import main
from talkbench.results.summary import MissingItem

from .report_fixtures import csim_card, make_run

EVIL = ('<script>document.title="PWNED";document.body.insertAdjacentHTML("beforeend",'
        '"<p id=pwned>PWNED</p>")</script><img src=x onerror="document.title=\'PWNED2\'">')
CHROMIUM = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed (make system-deps)")


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("html")
    a = make_run(tmp / "a", "model-a", {"psnr": [20.0, 20.2, 19.8], "csim": [0.83, 0.82, 0.84]},
                 cards={"csim": csim_card()},
                 missing=[MissingItem("clip003", "no face detected in frame 0 <b>raw</b>", "csim")])
    b = make_run(tmp / "b", EVIL, {"psnr": [18.0, 18.2, 17.8], "csim": [0.80, 0.81, 0.79]}, cards={"csim": csim_card()})
    out = tmp / "report.html"
    assert main(["report", str(a), str(b), "--published", "real3d.t1.same-id", "--format", "html", "--out", str(out)]) == 0
    return out, out.read_text(encoding="utf-8")


def test_html_is_self_contained_and_escaped(report):
    _, text = report
    assert "<script" not in text.lower()  # nothing executable at all, the model name included
    assert "&lt;script&gt;document.title=&quot;PWNED&quot;" in text
    assert "&lt;b&gt;raw&lt;/b&gt;" in text  # missing-item reason escaped too
    srcs = re.findall(r'src="([^"]*)"', text)
    assert srcs and all(s.startswith("data:image/png;base64,") for s in srcs)
    assert "http://" not in text.replace("http-equiv", "") and "https://" not in text
    assert "Content-Security-Policy" in text


def test_html_links_rows_to_item_tables(report):
    _, text = report
    for i in (0, 1):
        assert f'href="#items-{i}"' in text and f'id="items-{i}"' in text
    assert "<td>clip000</td>" in text
    assert "no face detected in frame 0" in text
    assert "<b>20.00</b>" in text and "<u>18.95</u>" in text  # best run PSNR bold, paper's Ours (VD) second


def _chromium(*args: str, tmp) -> subprocess.CompletedProcess:
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp / 'chromium-profile'}", "--window-size=1280,1600"]
    return subprocess.run([CHROMIUM, *flags, *args], capture_output=True, text=True, timeout=180)


@needs_chromium
@pytest.mark.browser
def test_chromium_renders_report_without_running_injected_script(report, tmp_path):
    path, _ = report
    shot = tmp_path / "shot.png"
    _chromium(f"--screenshot={shot}", path.as_uri(), tmp=tmp_path)
    assert shot.is_file() and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000
    dom = _chromium("--dump-dom", path.as_uri(), tmp=tmp_path).stdout
    assert '<table class="leaderboard">' in dom and "Real3D-Portrait (VD)" in dom and "model-a" in dom
    assert "<title>talkbench report</title>" in dom
    assert '<p id="pwned">' not in dom and "PWNED2" not in dom.replace("document.title='PWNED2'", "")
    assert "&lt;script&gt;document.title=" in dom  # shown as text


@needs_chromium
@pytest.mark.browser
def test_chromium_check_detects_a_script_that_runs(tmp_path):
    """Control: the same probe sees the marker when a page really runs the script."""
    page = tmp_path / "unsafe.html"
    page.write_text(f"<!DOCTYPE html><html><head><title>x</title></head><body>{EVIL}</body></html>", encoding="utf-8")
    dom = _chromium("--dump-dom", page.as_uri(), tmp=tmp_path).stdout
    assert '<p id="pwned">PWNED</p>' in dom


@pytest.fixture
def skip_report(tmp_path):
    """Two runs sharing one missing-weights reason over many items, one with an infinite PSNR."""
    reason = "missing weights: buffalo_l (talkbench weights import PATH --id buffalo_l)"
    miss = [MissingItem(f"clip{k:03d}", reason, "csim") for k in range(40)]
    a = make_run(tmp_path / "a", "oracle", {"psnr": [float("inf")] * 3, "ssim": [1.0] * 3}, missing=miss)
    b = make_run(tmp_path / "b", "copy", {"psnr": [20.0, 21.0, 19.0], "ssim": [0.7, 0.8, 0.75]}, missing=miss[:10],
                 comparable=False)
    out = tmp_path / "report.html"
    assert main(["report", str(a), str(b), "--format", "html", "--out", str(out)]) == 0
    return out, out.read_text(encoding="utf-8"), reason


def test_summary_first_with_skip_reasons_grouped_once(skip_report):
    _, text, reason = skip_report
    assert text.index("<h2>Summary</h2>") < text.index("<h2>Leaderboard</h2>") < text.index("<h2>Plots</h2>")
    summary = text[text.index("<h2>Summary</h2>"):text.index("<h2>Leaderboard</h2>")]
    assert summary.count(html_escape(reason)) == 1  # 50 skipped pairs, one line
    assert f"<td>{html_escape(reason)}</td><td>csim</td><td>oracle, copy</td><td>50</td>" in summary
    assert '<span class="bad">no</span>: --limit smoke run' in summary and '<span class="ok">yes</span>' in summary
    # per-item tables and the one-by-one list are collapsed
    assert '<details id="items-0"><summary>oracle: per-item values (3 items)</summary>' in text
    assert "<details><summary>oracle: 40 missing (item × metric)</summary>" in text


def test_ci_and_n_shown_as_the_intro_promises(skip_report):
    _, text, _ = skip_report
    assert "shown with their bootstrap 95% CI and the number of evaluated items" in text
    board = text[text.index('<table class="leaderboard">'):text.index("</table>", text.index('<table class="leaderboard">'))]
    assert "[0.7" in board and "(n=3)" in board  # copy's SSIM CI and n
    assert "∞" in board and "means at least one item" in text  # the infinite PSNR explained
    assert "the value is infinite, not an error" in text  # and in the per-item table


def test_report_and_summary_files_follow_the_umask(tmp_path):
    import os
    import stat

    old = os.umask(0o022)
    try:
        run = make_run(tmp_path / "r", "m", {"psnr": [20.0, 21.0]})
        out = tmp_path / "report.html"
        assert main(["report", str(run), "--format", "html", "--out", str(out)]) == 0
    finally:
        os.umask(old)
    for p in (out, tmp_path / "r" / "summary.json", tmp_path / "r" / "items.jsonl"):
        assert stat.S_IMODE(p.stat().st_mode) == 0o644, p


@needs_chromium
@pytest.mark.browser
def test_chromium_top_of_page_is_the_summary(skip_report, tmp_path):
    path, _, _ = skip_report
    shot = tmp_path / "top.png"
    _chromium(f"--screenshot={shot}", "--window-size=1280,800", path.as_uri(), tmp=tmp_path)
    assert shot.is_file() and shot.stat().st_size > 10_000
    dom = _chromium("--dump-dom", path.as_uri(), tmp=tmp_path).stdout
    body = dom[dom.index("<body>"):]
    assert body.index("<h2>Summary</h2>") < body.index("Skipped, and why") < body.index("<h2>Leaderboard</h2>")


def test_a_non_utf8_item_name_is_written_visibly_not_a_traceback(tmp_path):
    import os

    from talkbench.io.atomic import atomic_write_text

    name = os.fsdecode(b"clip_\xff")  # what a Latin-1 file name becomes on a UTF-8 system
    path = atomic_write_text(tmp_path / "r.html", f"<td>{name}</td>")
    assert path.read_bytes() == b"<td>clip_\\udcff</td>"
