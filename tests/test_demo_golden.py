"""Golden end-to-end regression of the mini benchmark (a reduced demo: 6 frames per clip).

The numbers in tests/golden/mini_demo.json were produced once by this same reduced demo
(`python -m talkbench.benchmarks.mini.golden freeze RESULTS tests/golden/mini_demo.json`) and
reproduced bit-for-bit by a second run before freezing. A rerun must match them; a change in a
metric's formula, the generator or a baseline shows up here. Nothing outside the installed Python
packages takes part: the mini benchmark's speech comes from its own formant synthesiser
(benchmarks/mini/speech.py, frozen as generator version 2), not from a text-to-speech program.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("mediapipe")

from talkbench.benchmarks.mini import golden  # noqa: E402
from talkbench.benchmarks.mini.build import MiniConfig  # noqa: E402
from talkbench.benchmarks.mini.demo import run_demo  # noqa: E402

GOLDEN = Path(__file__).parent / "golden" / "mini_demo.json"
CONFIG = MiniConfig(n_frames=6)
RUNS = {"mini-same-id": ("source-copy", "landmark-warp", "gt-oracle"), "mini-nxn": ("input-view",)}
TEMPORAL = ["head_motion_w1", "head_motion_energy", "blink_rate_error", "l1_mouth"]
METRICS = {"mini-same-id": ["psnr", "ssim", "akd_mediapipe", *TEMPORAL],
           "mini-nxn": ["psnr", "synthesis_quality", "nvs_quality", "nvv", "ivv"]}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    result = run_demo(out / "demo", CONFIG, runs=RUNS, data_parent=out / "data", report=False, metrics=METRICS)
    assert all("error" not in r for r in result.runs), result.runs
    return result, golden.collect(out / "demo" / "results")


def test_rerun_matches_the_golden_numbers(demo):
    _, numbers = demo
    assert golden.compare(numbers, golden.read(GOLDEN)) == []


def test_oracle_beats_landmark_warp_beats_source_copy(demo):
    _, v = demo
    psnr = {m: v[f"mini-same-id/{m}/psnr"] for m in RUNS["mini-same-id"]}
    akd = {m: v[f"mini-same-id/{m}/akd_mediapipe"] for m in RUNS["mini-same-id"]}
    assert psnr["gt-oracle"] == math.inf and psnr["landmark-warp"] > psnr["source-copy"] + 2.0
    assert akd["gt-oracle"] == 0.0 and akd["landmark-warp"] < akd["source-copy"]


def test_temporal_metrics_order_oracle_warp_copy(demo):
    """gt-oracle is ideal, source-copy a frozen head (flagged by zero motion energy), landmark-warp moves."""
    _, v = demo
    get = {name: {m: v[f"mini-same-id/{m}/{name}"] for m in RUNS["mini-same-id"]} for name in TEMPORAL}
    assert get["head_motion_energy"]["gt-oracle"] == 1.0 and get["head_motion_energy"]["source-copy"] == 0.0
    assert get["head_motion_energy"]["landmark-warp"] > 0.0
    assert get["head_motion_w1"]["gt-oracle"] == 0.0
    assert get["head_motion_w1"]["landmark-warp"] < get["head_motion_w1"]["source-copy"]
    assert get["blink_rate_error"]["gt-oracle"] == 0.0
    assert get["blink_rate_error"]["landmark-warp"] <= get["blink_rate_error"]["source-copy"]
    assert get["l1_mouth"]["gt-oracle"] == 0.0 < get["l1_mouth"]["landmark-warp"] < get["l1_mouth"]["source-copy"]


def test_input_view_is_perfect_on_the_diagonal_only(demo):
    result, v = demo
    from talkbench.metrics.registry import get_metric
    from talkbench.metrics.multiview import summarize_matrix
    from talkbench.protocols.datasets import open_dataset
    from talkbench.protocols.refs import Ref
    from talkbench.io.frames import to_batch
    import torch

    ds = open_dataset("mini", result.data_root)
    l1 = get_metric("l1")
    sq = []
    for ident in ("t1-a", "t1-b", "t1-c", "t1-d", "t1-e", "t1-f", "tom-hanks", "astronaut"):
        views = torch.cat([to_batch(ds.frames(Ref(f"multiview/{ident}", "all", f"cam{j:02d}")).arrays, torch.float64)
                           for j in range(8)])
        S = np.stack([l1.score_frames(views[i].expand(8, -1, -1, -1), views, None).numpy() for i in range(8)])
        assert np.all(np.diag(S) == 0.0) and S[~np.eye(8, dtype=bool)].min() > 0.005
        sq.append(summarize_matrix(S)["synthesis_quality"])
    # input-view's prediction for (i -> j) is view i: the runner's matrix summary is this matrix's
    assert v["mini-nxn/input-view/synthesis_quality"] == pytest.approx(np.mean(sq), rel=1e-9)
    assert v["mini-nxn/input-view/nvs_quality"] < 30.0 and v["mini-nxn/input-view/psnr"] == math.inf
    assert v["mini-nxn/input-view/nvv"] > 0.005 and v["mini-nxn/input-view/ivv"] > 0.005
