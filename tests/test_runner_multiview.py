"""Multiview N×N and NVS tasks on a fake NeRSemble v1 layout; matrix metrics merged exactly across
executors (in-process, process pool, Ray) and across an interrupted + resumed run."""
from __future__ import annotations

import numpy as np
import pytest

from talkbench.metrics.multiview import ivv, nvv, synthesis_quality
from talkbench.models import registry
from talkbench.protocols.api import run
from talkbench.protocols.datasets.nersemble import SERIALS
from tests.protocol_fixtures import BlendModel, make_nersemble_v1, write_predictions, write_protocol

VIEWS = ["222200042", "222200040", "222200037", "222200045"]
MATRIX = [{"name": n, "options": {"base": "psnr"}} for n in ("synthesis_quality", "nvv", "ivv")]
METRICS = ["psnr", *MATRIX, {"name": "l1", "where": {"camera": "222200037"}}]


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    base = tmp_path_factory.mktemp("nx")
    root = make_nersemble_v1(base / "ners", "018", "EMO-1-shout+laugh", n_frames=3)
    make_nersemble_v1(root, "030", "EXP-2-eyes", n_frames=2)
    items = [{"id": f"{p}_{s}", "source": {"clip": f"{p}/{s}", "serials": VIEWS}, "cameras": {"clip": f"{p}/{s}", "serials": VIEWS},
              "target": {"clip": f"{p}/{s}", "serials": VIEWS}} for p, s in (("018", "EMO-1-shout+laugh"), ("030", "EXP-2-eyes"))]
    specs = base / "specs"
    write_protocol(specs, "test-nxn", items, dataset="nersemble-v1", task="multiview-nxn", metrics=METRICS,
                   defaults={"resolution": None, "background": "full", "color_correction": False})
    nvs_items = [{"id": f"018_cam{c}", "source": {"clip": "018/EMO-1-shout+laugh", "serials": VIEWS},
                  "cameras": {"clip": "018/EMO-1-shout+laugh", "serials": [c]},
                  "target": {"clip": "018/EMO-1-shout+laugh", "camera": c}} for c in ("222200041", "221501007")]
    write_protocol(specs, "test-nvs", nvs_items, dataset="nersemble-v1", task="nvs", metrics=["psnr", "psnr_masked"],
                   defaults={"resolution": None, "background": "full", "color_correction": True})
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TALKBENCH_PROTOCOL_PATH", str(specs))
        pred = write_predictions(base / "pred", "test-nxn", {"nersemble-v1": str(root)}, BlendModel())
    return root, specs, pred, base


@pytest.fixture(autouse=True)
def env(setup, monkeypatch):
    monkeypatch.setenv("TALKBENCH_PROTOCOL_PATH", str(setup[1]))
    monkeypatch.setitem(registry.MODELS, "test-blend", "tests.protocol_fixtures:BlendModel")


@pytest.fixture(scope="module")
def local_summary(setup):
    root, specs, pred, base = setup
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TALKBENCH_PROTOCOL_PATH", str(specs))
        return run("test-nxn", data=root, out=base / "local", pred=pred)


def _png(root, seq, t, serial, sub="images-2x-73fps"):
    from PIL import Image

    return np.asarray(Image.open(root / seq / f"frame_{t:05d}" / sub / f"cam_{serial}.png"), dtype=np.float64)


def _score_matrix(root, seq, n_frames):
    """S[t, i, j] = PSNR(BlendModel's render from view i, GT view j at t), computed directly from the PNGs."""
    S = np.empty((n_frames, 4, 4))
    for t in range(n_frames):
        for i, si in enumerate(VIEWS):
            pred = np.round(0.75 * _png(root, seq, t, si) + 32.0) / 255
            for j, sj in enumerate(VIEWS):
                S[t, i, j] = 10 * np.log10(1 / np.mean((pred - _png(root, seq, t, sj) / 255) ** 2))
    return S


def test_matrix_metrics_match_direct_computation(setup, local_summary):
    root = setup[0]
    S = np.concatenate([_score_matrix(root, "018/sequences/EMO-1-shout+laugh", 3), _score_matrix(root, "030/sequences/EXP-2-eyes", 2)])
    m = local_summary["metrics"]
    assert m["synthesis_quality"]["value"] == pytest.approx(synthesis_quality(S), rel=1e-12)
    assert m["nvv"]["value"] == pytest.approx(nvv(S), rel=1e-12)
    assert m["ivv"]["value"] == pytest.approx(ivv(S), rel=1e-12)
    assert m["psnr"]["value"] == pytest.approx(S.mean(), rel=1e-12)  # pooled over all T·N·N frames
    assert m["synthesis_quality"]["n"] == 2 and m["ivv"]["card"]["higher_is_better"] is False
    # restricted to frames rendered at the frontal camera: one per (t, i)
    assert m["l1@camera=222200037"]["extra"]["where"] == {"camera": "222200037"}
    assert m["l1@camera=222200037"]["n"] == 2


def test_model_mode_and_process_pool_give_identical_numbers(setup, local_summary, tmp_path):
    root = setup[0]
    pooled = run("test-nxn", data=root, out=tmp_path / "pool", model="test-blend", workers=2)
    for k, v in local_summary["metrics"].items():
        assert pooled["metrics"][k]["value"] == v["value"], k


def test_resume_merges_set_level_states_exactly(setup, local_summary, tmp_path):
    root, _, pred, _ = setup

    def boom(n, item):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run("test-nxn", data=root, out=tmp_path, pred=pred, on_item=boom)
    assert len(list((tmp_path / "items").glob("*.state"))) == 1
    resumed = run("test-nxn", data=root, out=tmp_path, pred=pred, resume=True)
    for k, v in local_summary["metrics"].items():
        assert resumed["metrics"][k]["value"] == v["value"] and resumed["metrics"][k]["n"] == v["n"], k


def test_ray_executor_matches_local(setup, local_summary, tmp_path):
    ray = pytest.importorskip("ray")
    root, _, pred, _ = setup
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        s = run("test-nxn", data=root, out=tmp_path, pred=pred, executor="ray", workers=2)
    finally:
        ray.shutdown()
    for k, v in local_summary["metrics"].items():
        assert s["metrics"][k]["value"] == v["value"] and s["metrics"][k]["n"] == v["n"], k
    assert s["run"]["executor"] == "ray"


def test_nvs_task_colour_correction_and_masks(setup, tmp_path):
    root = setup[0]
    s = run("test-nvs", data=root, out=tmp_path, model="test-blend")
    from PIL import Image

    def img(t, s_, sub="images-2x-73fps"):
        return np.asarray(Image.open(root / "018/sequences/EMO-1-shout+laugh" / f"frame_{t:05d}" / sub / f"cam_{s_}.png"), dtype=np.float64)

    def cc(a):  # the fixture's affine colour correction: 0.9·rgb + 0.05
        return np.round(np.clip(a / 255 * 0.9 + 0.05, 0, 1) * 255)

    psnrs = []
    for cam in ("222200041", "221501007"):
        for t in range(3):
            pred, gt = np.round(0.75 * cc(img(t, VIEWS[0])) + 32.0), cc(img(t, cam))  # BlendModel with cameras
            psnrs.append(10 * np.log10(1 / np.mean((pred / 255 - gt / 255) ** 2)))
    assert s["metrics"]["psnr"]["value"] == pytest.approx(np.mean(psnrs), rel=1e-9)
    assert s["metrics"]["psnr_masked"]["n"] == 2 and s["metrics"]["psnr_masked"]["value"] > s["metrics"]["psnr"]["value"]
