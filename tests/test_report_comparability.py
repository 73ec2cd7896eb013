"""Comparability that tells the truth: partial / --limit runs are non-comparable on the terminal, in
summary.json and in every report; `run --strict`, `run --name`; golden keys independent of folders."""
from __future__ import annotations

import contextlib
import io
import json
import shutil

import pytest

from talkbench.baselines.published import select_tables
from talkbench.benchmarks.mini import golden
from talkbench.cli import main
from talkbench.models import registry
from talkbench.reports.board import BEST, NOT_COMPARABLE, build_boards
from talkbench.reports.runs import Run, load_runs
from talkbench.results.store import load_summary
from talkbench.results.summary import MissingItem
from tests.protocol_fixtures import BlendModel, make_hdtf, write_predictions

from .report_fixtures import make_run

METRICS = "psnr,l1"


@pytest.fixture(scope="module")
def hdtf(tmp_path_factory):
    return make_hdtf(tmp_path_factory.mktemp("hdtf"), n_frames=3, size=32)


@pytest.fixture(scope="module")
def preds(hdtf, tmp_path_factory):
    """Full predictions (19 items) and a copy with only 5 of them."""
    root = tmp_path_factory.mktemp("preds")
    full = write_predictions(root / "full", "hdtf-same-id", {"hdtf": str(hdtf)}, BlendModel())
    partial = root / "partial"
    shutil.copytree(full, partial)
    for d in sorted(p for p in partial.iterdir())[5:]:
        shutil.rmtree(d)
    return full, partial


def _run(hdtf, pred, out, *extra):
    return main(["run", "--protocol", "hdtf-same-id", "--data", str(hdtf), "--pred", str(pred), "--out", str(out),
                 "--metrics", METRICS, *extra])


@pytest.fixture(scope="module")
def results(hdtf, preds, tmp_path_factory):
    """One full and one 5-of-19 run (no --name: golden keys must not depend on the folders), with what
    `run` printed."""
    full, partial = preds
    root = tmp_path_factory.mktemp("results")
    printed = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(registry.MODELS, "test-blend", "tests.protocol_fixtures:BlendModel")
        for name, pred, want in (("full", full, 0), ("partial", partial, 1)):
            out, err = io.StringIO(), io.StringIO()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                assert _run(hdtf, pred, root / name / "run") == want
            printed[name] = (out.getvalue(), err.getvalue())
    return root, printed


def test_five_of_nineteen_is_not_comparable_says_why_and_is_not_bold(results, capsys):
    root, printed = results
    assert "comparable: True" in printed["full"][0]
    out, err = printed["partial"]
    assert "items 5/19; comparable: False" in out
    assert "talkbench: not comparable: partial: 5 of 19 items evaluated (14 missing)" in err
    s = load_summary(root / "partial" / "run")
    assert s["comparable"] is False and s["comparable_reasons"] == ["partial: 5 of 19 items evaluated (14 missing)"]

    runs = load_runs([root / "full" / "run", root / "partial" / "run"])
    (board,) = build_boards(runs, select_tables(["goha.t2.same-id"]))
    rows = {r.method: r for r in board.rows}
    five, whole = rows["predictions:partial"], rows["predictions:full"]
    assert five.label == f"predictions:partial {NOT_COMPARABLE} (5/19 items)" and not five.ranked and not five.comparable
    assert whole.label == "predictions:full" and whole.ranked
    paper = {"psnr": max(r.cells["psnr"].value for r in board.rows if r.kind == "published"),
             "l1": min(r.cells["l1"].value for r in board.rows if r.kind == "published")}
    for key, better in (("psnr", lambda a, b: a > b), ("l1", lambda a, b: a < b)):
        assert five.cells[key].mark is None  # never ranked against the paper rows, whatever its value
        assert (whole.cells[key].mark == BEST) == better(round(whole.cells[key].value, board.column(key).digits), paper[key])
    note = board.footnotes[five.notes[0] - 1]
    assert note.startswith(f"{NOT_COMPARABLE} not comparable with published numbers: partial: 5 of 19 items evaluated")

    for fmt in ("md", "latex"):
        assert main(["report", str(root / "full" / "run"), str(root / "partial" / "run"), "--published",
                     "goha.t2.same-id", "--format", fmt]) == 0
        text = capsys.readouterr().out
        line = next(x for x in text.splitlines() if x.lstrip("| ").startswith("predictions:partial"))
        assert "**" not in line and "textbf" not in line and "5/19 items" in line
        assert "partial: 5 of 19 items evaluated" in text


def test_strict_and_name(hdtf, preds, tmp_path, capsys):
    full, _ = preds
    assert _run(hdtf, full, tmp_path / "a", "--limit", "2", "--name", "smoke") == 0  # fine without --strict
    assert "not comparable: --limit 2: 2 of 19 items" in capsys.readouterr().err
    assert load_summary(tmp_path / "a")["run"]["name"] == "smoke" and Run.load(tmp_path / "a").label == "smoke"
    assert _run(hdtf, full, tmp_path / "b", "--limit", "2", "--strict") == 1
    err = capsys.readouterr().err
    assert "--limit 2: 2 of 19 items" in err and "--strict: the run is not comparable" in err


def test_golden_keys_ignore_prediction_folder_names(results, tmp_path, capsys):
    """Runs of predictions in different folders (a new checkpoint) give the same keys, so values are compared."""
    root, _ = results
    v1, v2 = golden.collect(root / "full"), golden.collect(root / "partial")
    assert sorted(v1) == sorted(v2) == ["hdtf-same-id/l1", "hdtf-same-id/psnr"]
    gold = golden.freeze(root / "full", tmp_path / "golden.json")
    assert golden.main(["check", str(root / "full"), str(gold)]) == 0
    assert "every number of" in capsys.readouterr().out
    # the 5-of-19 rerun: lost items named, values differ, exit 1
    assert golden.main(["check", str(root / "partial"), str(gold)]) == 1
    out = capsys.readouterr().out
    assert "hdtf-same-id: 14 item(s) lost in the rerun" in out and "hdtf-same-id/psnr:" in out
    # two unnamed runs of one protocol cannot share keys: an error asking for --name
    both = tmp_path / "both"
    shutil.copytree(root / "full", both / "a")
    shutil.copytree(root / "partial", both / "b")
    assert golden.main(["check", str(both), str(gold)]) == 2
    assert "talkbench run --name LABEL" in capsys.readouterr().err


def test_model_runs_keep_their_name_in_golden_keys(tmp_path):
    make_run(tmp_path / "r" / "a", "source-copy", {"psnr": [20.0, 21.0]}, protocol="mini-same-id")
    make_run(tmp_path / "r" / "b", "m", {"psnr": [22.0, 21.0]}, protocol="mini-same-id", run_info={"name": "my-model v2"})
    assert sorted(golden.collect(tmp_path / "r")) == ["mini-same-id/my-model v2/psnr", "mini-same-id/source-copy/psnr"]


def test_summary_written_before_partial_reasons_is_still_caught(tmp_path):
    path = make_run(tmp_path / "old", "m", {"psnr": [20.0, 21.0, 22.0]}, missing=[MissingItem("clip003", "no face", None)])
    data = json.loads(path.read_text())
    data["comparable"], data["comparable_reasons"] = True, []  # as an older talkbench wrote it
    path.write_text(json.dumps(data))
    run = Run.load(path)
    assert run.comparable is False and run.comparable_reasons == ["partial: 2 of 3 items evaluated (1 missing)"]
    assert run.coverage == "2/3"


def test_metric_with_values_for_some_items_only(tmp_path):
    path = make_run(tmp_path / "r", "m", {"psnr": [20.0, 21.0, 22.0], "l1": [0.1, None, None]})
    assert Run.load(path).comparable_reasons == ["partial l1: 1 of 3 items have a value"]


@pytest.fixture(autouse=True)
def _blend(monkeypatch):
    monkeypatch.setitem(registry.MODELS, "test-blend", "tests.protocol_fixtures:BlendModel")


def test_labels_numbered_only_within_a_protocol(tmp_path):
    a = make_run(tmp_path / "a", "copy", {"psnr": [20.0, 21.0]}, protocol="mini-same-id")
    b = make_run(tmp_path / "b", "copy", {"psnr": [20.0, 22.0]}, protocol="mini-same-id")
    c = make_run(tmp_path / "c", "copy", {"psnr": [20.0, 23.0]}, protocol="mini-cross-id")
    assert [r.label for r in load_runs([a, b, c])] == ["copy #1", "copy #2", "copy"]
