"""`talkbench run` end to end on a generated HDTF layout: values, schema, resume, --pred, validate."""
from __future__ import annotations

import shutil

import numpy as np
import pytest
from PIL import Image

from talkbench.cli import main
from talkbench.io.atomic import read_jsonl
from talkbench.io.video import iter_frames
from talkbench.models import registry
from talkbench.protocols.api import run
from talkbench.results.store import load_items, load_summary
from tests.protocol_fixtures import HDTF_TEST_CLIPS, BlendModel, make_hdtf, write_predictions

METRICS = ["psnr", "l1"]


@pytest.fixture(scope="module")
def hdtf(tmp_path_factory):
    return make_hdtf(tmp_path_factory.mktemp("hdtf"), n_frames=4, size=32)


@pytest.fixture(autouse=True)
def blend_model(monkeypatch):
    monkeypatch.setitem(registry.MODELS, "test-blend", "tests.protocol_fixtures:BlendModel")


@pytest.fixture(scope="module")
def reference_run(hdtf, tmp_path_factory):
    out = tmp_path_factory.mktemp("ref")
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(registry.MODELS, "test-blend", "tests.protocol_fixtures:BlendModel")
        summary = run("hdtf-same-id", data=hdtf, out=out, model="test-blend", metrics=METRICS)
    return out, summary


def _resized(arr):
    return np.asarray(Image.fromarray(arr).resize((512, 512), Image.LANCZOS)).astype(np.float64)


def test_values_match_hand_computation_and_schema(hdtf, reference_run):
    out, summary = reference_run
    load_summary(out)  # schema-validated
    assert len(load_items(out)) == 19 * len(METRICS)
    psnrs, l1s = [], []
    for clip in HDTF_TEST_CLIPS:
        frames = [_resized(a) for a in iter_frames(hdtf / f"{clip}.mp4")]
        src = frames[0]
        for gt in frames[1:]:
            pred = np.round(0.75 * gt + 0.25 * src)
            mse = np.mean((pred / 255 - gt / 255) ** 2)
            psnrs.append(10 * np.log10(1 / mse))
            l1s.append(np.mean(np.abs(pred - gt)) / 255)
    assert summary["metrics"]["psnr"]["value"] == pytest.approx(np.mean(psnrs), rel=1e-9)
    assert summary["metrics"]["l1"]["value"] == pytest.approx(np.mean(l1s), rel=1e-9)
    assert summary["counts"] == {"expected": 19, "evaluated": 19, "missing": 0}
    assert summary["protocol"]["id"] == "hdtf-same-id" and len(summary["protocol"]["hash"]) == 64
    assert summary["comparable"] is True
    lo, hi = summary["metrics"]["psnr"]["ci95"]
    assert lo <= summary["metrics"]["psnr"]["value"] <= hi
    rec = read_jsonl(out / "items.jsonl")[0]
    assert rec["n_frames"] == 3 and len(rec["inputs"]["gt"]) == 64 and rec["inputs"]["gt"] == rec["inputs"]["driving"]


def test_interrupted_run_resumes_to_identical_numbers(hdtf, reference_run, tmp_path):
    class Stop(Exception):
        pass

    def stop_after_7(n, item):
        if n == 7:
            raise Stop

    with pytest.raises(Stop):
        run("hdtf-same-id", data=hdtf, out=tmp_path, model="test-blend", metrics=METRICS, on_item=stop_after_7)
    assert len(list((tmp_path / "items").glob("*.json"))) == 7 and not (tmp_path / "summary.json").exists()
    with pytest.raises(Exception, match="--resume"):
        run("hdtf-same-id", data=hdtf, out=tmp_path, model="test-blend", metrics=METRICS)
    seen = []
    resumed = run("hdtf-same-id", data=hdtf, out=tmp_path, model="test-blend", metrics=METRICS, resume=True,
                  on_item=lambda n, item: seen.append(item))
    assert len(seen) == 12 and resumed["run"]["resumed"] is True
    ref = reference_run[1]
    for name in METRICS:
        for key in ("value", "ci95", "n"):
            assert resumed["metrics"][name][key] == ref["metrics"][name][key]
    assert read_jsonl(tmp_path / "items.jsonl") == read_jsonl(reference_run[0] / "items.jsonl")
    with pytest.raises(Exception, match="different"):
        run("hdtf-same-id", data=hdtf, out=tmp_path, model="test-blend", metrics=["psnr"], resume=True)


def test_predictions_folder_gives_model_numbers_and_reports_missing(hdtf, reference_run, tmp_path):
    pred = write_predictions(tmp_path / "pred", "hdtf-same-id", {"hdtf": str(hdtf)}, BlendModel())
    s = run("hdtf-same-id", data=hdtf, out=tmp_path / "a", pred=pred, metrics=METRICS)
    assert s["metrics"]["psnr"]["value"] == reference_run[1]["metrics"]["psnr"]["value"]
    assert s["model"]["name"] == "predictions:pred"
    shutil.rmtree(pred / "WRA_TimScott_000")
    s = run("hdtf-same-id", data=hdtf, out=tmp_path / "b", pred=pred, metrics=METRICS)
    assert s["counts"] == {"expected": 19, "evaluated": 18, "missing": 1}
    assert s["missing"][0]["item"] == "WRA_TimScott_000" and "does not exist" in s["missing"][0]["reason"]
    assert s["metrics"]["psnr"]["n"] == 18 and s["metrics"]["psnr"]["n_missing"] == 1


def test_validate_predictions_cli(hdtf, tmp_path, capsys):
    pred = write_predictions(tmp_path / "pred", "hdtf-same-id", {"hdtf": str(hdtf)}, BlendModel())
    assert main(["validate", "--protocol", "hdtf-same-id", "--pred", str(pred), "--root", str(hdtf)]) == 0
    assert "present 19, missing 0, malformed 0" in capsys.readouterr().out
    shutil.rmtree(pred / "WRA_JoePitts_000")
    (pred / "WRA_JoePitts_000").mkdir()
    Image.fromarray(np.zeros((64, 64, 3), np.uint8)).save(pred / "WRA_JoePitts_000" / "0.png")
    shutil.rmtree(pred / "WRA_TomPrice_000")
    (pred / "not_an_item").mkdir()
    assert main(["validate", "--protocol", "hdtf-same-id", "--pred", str(pred), "--root", str(hdtf)]) == 2
    text = capsys.readouterr().out
    assert "64×64" in text and "1 frames, the item needs 3" in text and "not_an_item" in text
    assert "present 17, missing 1, malformed 2" in text


def test_cli_run_limit_is_not_comparable(hdtf, tmp_path, capsys):
    code = main(["run", "--protocol", "hdtf-same-id", "--data", str(hdtf), "--model", "test-blend", "--out", str(tmp_path),
                 "--limit", "2", "--metrics", "psnr", "--json"])
    assert code == 0
    s = load_summary(tmp_path)
    assert s["counts"]["expected"] == 2 and s["comparable"] is False and "--limit 2" in s["comparable_reasons"][0]


def test_missing_data_is_reported_not_scored(tmp_path):
    root = make_hdtf(tmp_path / "hdtf", n_frames=4, clips=HDTF_TEST_CLIPS[:2])
    (root / f"{HDTF_TEST_CLIPS[1]}.mp4").write_bytes((root / f"{HDTF_TEST_CLIPS[1]}.mp4").read_bytes()[:300])
    s = run("hdtf-same-id", data=root, out=tmp_path / "out", model="test-blend", metrics=["psnr"], limit=3)
    reasons = {m["item"]: m["reason"] for m in s["missing"]}
    assert set(reasons) == set(HDTF_TEST_CLIPS[1:3])
    assert "corrupt" in reasons[HDTF_TEST_CLIPS[1]] or "cannot be opened" in reasons[HDTF_TEST_CLIPS[1]]
    assert "does not exist" in reasons[HDTF_TEST_CLIPS[2]]
    assert s["metrics"]["psnr"]["n"] == 1


def test_a_model_given_as_package_module_class_runs_like_a_registered_one(hdtf, reference_run, tmp_path):
    _, registered = reference_run
    s = run("hdtf-same-id", data=hdtf, out=tmp_path, model="tests.protocol_fixtures:BlendModel", metrics=METRICS, limit=2)
    first_two = [r for r in read_jsonl(reference_run[0] / "items.jsonl") if r["item"] in HDTF_TEST_CLIPS[:2]]
    mine = read_jsonl(tmp_path / "items.jsonl")
    assert [(r["item"], r["metric"], r["value"]) for r in mine] == [(r["item"], r["metric"], r["value"]) for r in first_two]
    assert s["model"]["name"] == "tests.protocol_fixtures:BlendModel" and registered["model"]["name"] == "test-blend"


def test_source_copy_baseline_on_fake_hdtf(hdtf, tmp_path):
    s = run("hdtf-same-id", data=hdtf, out=tmp_path, model="source-copy", metrics=["psnr"], limit=3)
    psnrs = []
    for clip in HDTF_TEST_CLIPS[:3]:
        frames = [_resized(a) for a in iter_frames(hdtf / f"{clip}.mp4")]
        psnrs += [10 * np.log10(1 / np.mean((frames[0] / 255 - g / 255) ** 2)) for g in frames[1:]]
    assert s["metrics"]["psnr"]["value"] == pytest.approx(np.mean(psnrs), rel=1e-9)
    assert s["model"]["name"] == "source-copy" and s["comparable"] is False


def test_offline_backbones_are_substituted_and_marked(hdtf, tmp_path):
    from talkbench.metrics import offline

    s = run("hdtf-same-id", data=hdtf, out=tmp_path, model="test-blend", metrics=["psnr", "csim"], limit=1,
            offline_backbones=True)
    sub = offline.OFFLINE_BACKBONES["csim"]
    assert set(s["metrics"]) == {"psnr", sub} and s["comparable"] is False
    assert any(f"csim→{sub}" in r for r in s["comparable_reasons"])
    # synthetic frames hold no face: reported per item with a reason, never scored as 0
    assert s["metrics"][sub]["n"] + len([m for m in s["missing"] if m["metric"] == sub]) == 1
