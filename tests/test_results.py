"""summary.json schema, atomic writes, non-finite values, bootstrap determinism."""
from __future__ import annotations

import json
import math

import jsonschema
import pytest

from talkbench.errors import InputError
from talkbench.io.atomic import atomic_write_json, read_json
from talkbench.metrics import get_metric
from talkbench.results import RunSummary, bootstrap_ci, load_items, load_summary, summarize_values, write_results
from talkbench.results.store import summary_schema
from talkbench.results.summary import ItemRecord, MissingItem


def make_summary(values=(30.0, 31.0, math.inf)):
    card = get_metric("psnr").instance_card
    return RunSummary(
        protocol={"id": "unit", "version": "1", "hash": "ab" * 32}, model={"name": "m"},
        metrics={"psnr": summarize_values(card, list(values), n_expected=4)},
        counts={"expected": 4, "evaluated": 3, "missing": 1},
        missing=[MissingItem("clip4", "no face detected in frame 0", "psnr")],
    )


def test_summary_validates_and_roundtrips(tmp_path):
    s = make_summary()
    path = write_results(tmp_path / "run", s, [ItemRecord("clip1", "psnr", 30.0)])
    data = load_summary(tmp_path / "run")
    assert data["metrics"]["psnr"]["value"] == math.inf
    assert data["metrics"]["psnr"]["n_missing"] == 1
    assert data["suite"]["name"] == "talkbench" and "git_commit" in data["suite"]
    assert data["environment"]["torch"]
    assert load_items(path)[0]["item"] == "clip1"
    # strict JSON on disk: no Infinity literal
    json.loads(path.read_text(), parse_constant=lambda c: pytest.fail(f"non-standard constant {c}"))
    jsonschema.Draft202012Validator.check_schema(summary_schema())


def test_invalid_summary_rejected_with_path(tmp_path):
    p = tmp_path / "summary.json"
    p.write_text(json.dumps({"schema_version": "1.0"}))
    with pytest.raises(InputError, match="summary.json"):
        load_summary(p)


def test_atomic_write_leaves_no_temp_on_failure(tmp_path):
    target = tmp_path / "x.json"
    atomic_write_json(target, {"a": 1})
    with pytest.raises(TypeError):
        atomic_write_json(target, {"a": object()})
    assert read_json(target) == {"a": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["x.json"]


def test_bootstrap_deterministic_and_covers_mean():
    vals = [0.1, 0.4, 0.35, 0.8, 0.55, 0.2]
    a, b = bootstrap_ci(vals), bootstrap_ci(vals)
    assert a == b and a[0] < sum(vals) / len(vals) < a[1]
    assert bootstrap_ci([1.0]) is None and bootstrap_ci([1.0, math.inf]) is None
