"""`talkbench compare`: verdicts, tolerances, exit codes 0/1/2, bootstrap CI, Markdown, JSON and JUnit."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from talkbench.cli import main
from talkbench.reports.regression import (BETTER, SAME, WORSE, DEFAULT_TOLERANCES, compare_runs, parse_tolerances,
                                          tolerance_for, verdict)
from talkbench.reports.runs import Run
from talkbench.results.bootstrap import bootstrap_diff_ci

from .report_fixtures import SHA_B, csim_card, make_run

BASE_CSIM = [0.83, 0.82, 0.84, 0.85]
PSNR = [19.0, 19.4, 18.8, 19.2]


def _run(tmp_path, name, csim, psnr=PSNR, **kw):
    return make_run(tmp_path / name, "m", {"psnr": psnr, "csim": csim}, cards={"csim": kw.pop("card", csim_card())}, **kw)


@pytest.fixture
def base(tmp_path):
    return _run(tmp_path, "base", BASE_CSIM)


def test_verdict_edges():
    assert verdict(0.01, True, 0.005) == BETTER
    assert verdict(-0.01, True, 0.005) == WORSE
    assert verdict(-0.01, False, 0.005) == BETTER  # lower is better
    assert verdict(0.825 - 0.830, True, 0.005) == SAME  # exactly the tolerance (float noise) is not a regression
    assert verdict(0.8249 - 0.830, True, 0.005) == WORSE
    assert verdict(0.0, True, 0.0) == SAME
    assert verdict(None, True, 0.005) == "n/a"


def test_tolerance_lookup_order():
    psnr_card = {"name": "psnr"}
    assert tolerance_for("psnr", psnr_card, 20.0, {}) == DEFAULT_TOLERANCES["psnr"]
    assert tolerance_for("psnr", psnr_card, 20.0, {"psnr": 0.5}) == 0.5
    mv = {"name": "nvv", "options": {"base": "lpips"}}
    assert tolerance_for("nvv", mv, 0.05, {}) == DEFAULT_TOLERANCES["lpips"]
    assert tolerance_for("custom", {"name": "custom"}, -40.0, {}) == pytest.approx(0.4)  # 1% of |base|
    assert parse_tolerances(["csim=0.01", "psnr = 0.2"]) == {"csim": 0.01, "psnr": 0.2}
    for bad in ("csim", "csim=x", "csim=-1", "=1"):
        with pytest.raises(ValueError):
            parse_tolerances([bad])


def test_identical_runs_exit_0(base, capsys):
    assert main(["compare", str(base), str(base)]) == 0
    assert "no regression" in capsys.readouterr().out


def test_planted_csim_regression_exit_1_and_junit(base, tmp_path, capsys):
    new = _run(tmp_path, "new", [v - 0.02 for v in BASE_CSIM])
    junit, md = tmp_path / "cmp.xml", tmp_path / "cmp.md"
    assert main(["compare", str(base), str(new), "--junit", str(junit), "--out", str(md)]) == 1
    text = md.read_text(encoding="utf-8")
    assert "regression in 1 metric" in text and "**worse**" in text
    root = ET.parse(junit).getroot()
    assert root.tag == "testsuite" and root.get("failures") == "1" and root.get("errors") == "0"
    failing = [c.get("name") for c in root.iter("testcase") if c.find("failure") is not None]
    assert failing == ["csim"]
    # a looser tolerance turns the same change into "same"
    assert main(["compare", str(base), str(new), "--tol", "csim=0.03"]) == 0


def test_within_tolerance_exit_0(base, tmp_path):
    new = _run(tmp_path, "new", [v - 0.004 for v in BASE_CSIM], psnr=[v + 0.5 for v in PSNR])
    comp = compare_runs(Run.load(base), Run.load(new))
    got = {m.metric: m.verdict for m in comp.metrics}
    assert got == {"csim": SAME, "psnr": BETTER} and comp.exit_code == 0


def test_diff_ci_is_paired_bootstrap_of_items(base, tmp_path):
    new_vals = [0.80, 0.83, 0.81, 0.86]
    new = _run(tmp_path, "new", new_vals)
    comp = compare_runs(Run.load(base), Run.load(new))
    m = next(m for m in comp.metrics if m.metric == "csim")
    assert m.diff == pytest.approx(sum(new_vals) / 4 - sum(BASE_CSIM) / 4)
    assert m.diff_ci95 == bootstrap_diff_ci(BASE_CSIM, new_vals)
    assert m.n_paired == 4


def test_mismatched_protocol_hash_exit_2(base, tmp_path, capsys):
    other = _run(tmp_path, "other", BASE_CSIM, proto_hash="d" * 64)
    junit = tmp_path / "j.xml"
    assert main(["compare", str(base), str(other), "--junit", str(junit)]) == 2
    captured = capsys.readouterr()
    assert "protocol hash differs" in captured.out and "protocol hash differs" in captured.err
    root = ET.parse(junit).getroot()
    assert root.get("errors") == "1" and root.find("testcase/error") is not None


def test_backbone_sha_and_card_version_exit_2(base, tmp_path):
    sha = _run(tmp_path, "sha", BASE_CSIM, card=csim_card(SHA_B))
    comp = compare_runs(Run.load(base), Run.load(sha))
    assert comp.exit_code == 2
    assert any("csim: backbone arcface-test weights sha256 differs" in r for r in comp.incomparable)
    ver = _run(tmp_path, "ver", BASE_CSIM, card=csim_card(version="2.0"))
    comp = compare_runs(Run.load(base), Run.load(ver))
    assert comp.incomparable == ["csim: metric card version differs: base 1.0 vs new 2.0"]


def test_missing_metric_is_a_regression(base, tmp_path):
    only_psnr = make_run(tmp_path / "p", "m", {"psnr": PSNR})
    comp = compare_runs(Run.load(base), Run.load(only_psnr))
    assert [(m.metric, m.verdict) for m in comp.regressions] == [("csim", "missing")]
    assert comp.exit_code == 1
    # the other way round a new metric is informational
    assert compare_runs(Run.load(only_psnr), Run.load(base)).exit_code == 0


def test_json_output(base, tmp_path, capsys):
    new = _run(tmp_path, "new", [v - 0.02 for v in BASE_CSIM])
    assert main(["compare", str(base), str(new), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["status"] == "regression" and data["exit_code"] == 1
    assert {m["metric"]: m["verdict"] for m in data["metrics"]} == {"psnr": "same", "csim": "worse"}


def test_bad_tolerance_is_exit_2(base):
    assert main(["compare", str(base), str(base), "--tol", "csim"]) == 2


def test_variant_uses_family_tolerance():
    assert tolerance_for("csim_dlib", {"name": "csim_dlib"}, 0.9, {}) == DEFAULT_TOLERANCES["csim"]
    assert tolerance_for("lse_c_fullframe", {"name": "lse_c_fullframe"}, 7.0, {}) == DEFAULT_TOLERANCES["lse_c"]


def test_lost_item_fails_even_when_the_mean_improves(base, tmp_path, capsys):
    """NEW loses one of BASE's items and scores better on the rest: still exit 1, naming the item."""
    from talkbench.results.summary import MissingItem

    new = _run(tmp_path, "new", [v + 0.02 for v in BASE_CSIM[:3]], psnr=PSNR[:3],
               missing=[MissingItem("clip003", "no face detected", None)])
    comp = compare_runs(Run.load(base), Run.load(new))
    assert comp.lost_items == ["clip003"] and comp.exit_code == 1
    assert {m.metric: m.verdict for m in comp.metrics} == {"psnr": "lost items", "csim": "lost items"}
    assert all(m.lost_items == ["clip003"] and "was " in m.note for m in comp.metrics)
    csim = next(m for m in comp.metrics if m.metric == "csim")
    assert "was better" in csim.note  # the mean alone would have passed
    assert main(["compare", str(base), str(new)]) == 1
    cap = capsys.readouterr()
    assert "1 lost item(s)" in cap.out and "**lost items**" in cap.out
    assert "1 item(s) evaluated in BASE are not in NEW: clip003" in cap.err


def test_metrics_without_values_are_ignored_and_named(tmp_path, capsys):
    """A metric listed by one run only, or by both, with no value anywhere: no verdict, no incomparability."""
    base = make_run(tmp_path / "b", "m", {"psnr": PSNR, "fid": [None] * 4, "lse_c": [None] * 4})
    new = make_run(tmp_path / "n", "m", {"psnr": PSNR, "fid": [None] * 4, "kid": [None] * 4})
    comp = compare_runs(Run.load(base), Run.load(new))
    assert comp.exit_code == 0 and [m.metric for m in comp.metrics] == ["psnr"]
    assert comp.ignored == ["fid: no value in either run", "lse_c: no value in BASE (absent from NEW)",
                            "kid: no value in NEW (absent from BASE)"]
    assert main(["compare", str(base), str(new)]) == 0
    assert "ignored lse_c: no value in BASE (absent from NEW)" in capsys.readouterr().err
    # a metric with a value in BASE and none in NEW is still a lost metric
    lost = make_run(tmp_path / "l", "m", {"psnr": PSNR})
    with_fid = make_run(tmp_path / "f", "m", {"psnr": PSNR, "fid": [30.0, 31.0, 29.0, 30.5]})
    assert [(m.metric, m.verdict) for m in compare_runs(Run.load(with_fid), Run.load(lost)).regressions] == [("fid", "missing")]


def test_a_nan_value_in_the_new_run_is_a_regression(base, tmp_path):
    broken = _run(tmp_path, "nan", BASE_CSIM, psnr=[19.0, float("nan"), 18.8, 19.2])
    comp = compare_runs(Run.load(base), Run.load(broken))
    psnr = next(m for m in comp.metrics if m.metric == "psnr")
    assert psnr.verdict == WORSE and "NaN" in psnr.note and comp.exit_code == 1
