"""The self-contained HTML report: content, escaping, and a render in headless Chromium."""
from __future__ import annotations

import re
import shutil
import subprocess

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
