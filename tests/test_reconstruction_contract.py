"""The reconstruction-model contract on N×N protocols: input-view through reconstruct/render gives exactly
the matrices of the per-(t, i) prepare/animate path it replaced; the runner reconstructs each input camera's
video once, in temporal order, with the rig's most frontal camera as the reference."""
from __future__ import annotations

import json

import numpy as np
import pytest

from talkbench.benchmarks.mini.multiview import arc_cameras
from talkbench.geometry import most_frontal
from talkbench.models import registry
from talkbench.models.base import Camera, ModelInfo, ReconstructionModel, TalkingHeadModel
from talkbench.protocols.api import run
from talkbench.protocols.inputs import nxn_renders
from tests.protocol_fixtures import make_nersemble_v1, write_protocol

VIEWS = ["222200042", "222200040", "222200037", "222200045"]


class LegacyInputView(TalkingHeadModel):
    """input-view as it was before the contract: prepare -> first source image, animate -> one copy per camera."""

    info = ModelInfo("test-legacy-input-view", "baseline", "test-only")
    needs = ("cameras",)

    def prepare(self, source):
        return np.ascontiguousarray(source[0])

    def animate(self, state, driving=None, cameras=None, audio=None, gt=None):
        return [state] * len(cameras)


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    base = tmp_path_factory.mktemp("rc")
    root = make_nersemble_v1(base / "ners", "018", "EMO-1-shout+laugh", n_frames=3)
    items = [{"id": "018", "source": {"clip": "018/EMO-1-shout+laugh", "serials": VIEWS},
              "cameras": {"clip": "018/EMO-1-shout+laugh", "serials": VIEWS},
              "target": {"clip": "018/EMO-1-shout+laugh", "serials": VIEWS}}]
    metrics = ["psnr", "l1"] + [{"name": n, "options": {"base": b}} for n, b in (
        ("synthesis_quality", "l1"), ("nvs_quality", "psnr"), ("nvv", "l1"), ("ivv", "l1"))]
    write_protocol(base / "specs", "rc-nxn", items, dataset="nersemble-v1", task="multiview-nxn", metrics=metrics,
                   defaults={"resolution": None, "background": "full", "color_correction": False})
    return root, base


def test_input_view_on_the_contract_gives_the_legacy_matrices(setup, monkeypatch, tmp_path):
    root, base = setup
    monkeypatch.setenv("TALKBENCH_PROTOCOL_PATH", str(base / "specs"))
    monkeypatch.setitem(registry.MODELS, "test-legacy-input-view", "tests.test_reconstruction_contract:LegacyInputView")
    assert issubclass(registry.get_model_class("input-view"), ReconstructionModel)
    new = run("rc-nxn", data=root, out=tmp_path / "new", model="input-view")
    old = run("rc-nxn", data=root, out=tmp_path / "old", model="test-legacy-input-view")
    assert new["metrics"].keys() == old["metrics"].keys()
    for k, v in old["metrics"].items():
        assert np.array_equal(new["metrics"][k]["value"], v["value"], equal_nan=True) and new["metrics"][k]["n"] == v["n"], k
        assert np.isfinite(v["value"]) or k == "psnr", k  # PSNR pools the exact diagonal copies: +inf
    rows = lambda d: [{k: v for k, v in json.loads(line).items() if k not in ("model", "seconds", "timing")}  # noqa: E731
                      for line in (d / "items.jsonl").read_text().splitlines()]
    assert rows(tmp_path / "new") == rows(tmp_path / "old")
    # the run writes its merged score matrices for the report's heatmaps: input-view's L1 matrix by hand
    art = new["artifacts"]
    assert set(art["matrices"]) == {"l1", "psnr"} and art["camera_labels"]["l1"] == VIEWS
    S = np.load(tmp_path / "new" / art["matrices"]["l1"])
    assert S.shape == (3, 4, 4) and np.all(np.diagonal(S, axis1=1, axis2=2) == 0)
    from PIL import Image

    png = lambda t, s: np.asarray(Image.open(root / "018/sequences/EMO-1-shout+laugh" / f"frame_{t:05d}"  # noqa: E731
                                             / "images-2x-73fps" / f"cam_{s}.png"), dtype=np.float64) / 255
    direct = np.array([[[np.abs(png(t, a) - png(t, b)).mean() for b in VIEWS] for a in VIEWS] for t in range(3)])
    assert np.allclose(np.sort(S.reshape(3, -1), axis=0), np.sort(direct.reshape(3, -1), axis=0), rtol=1e-9, atol=0)


class Recorder(ReconstructionModel):
    info = ModelInfo("test-recorder", "reconstruction", "test-only")
    uses_reference = True

    def __init__(self):
        self.calls = []

    def reconstruct(self, frame, reference=None):
        return int(frame[0, 0, 0])

    def reconstruct_video(self, frames, reference=None):
        self.calls.append(([int(f[0, 0, 0]) for f in frames], None if reference is None else int(reference[0, 0, 0])))
        yield from (self.reconstruct(f) for f in frames)

    def render(self, state, cameras):
        return [np.full((2, 2, 3), state * 10 + j, np.uint8) for j in range(len(cameras))]


def test_nxn_renders_one_video_per_input_camera_in_t_i_j_order():
    T, N = 3, 4
    videos = [[np.full((2, 2, 3), 5 * i + t, np.uint8) for t in range(T)] for i in range(N)]
    cams = [Camera(np.eye(4), np.eye(3))] * N
    model = Recorder()
    out = nxn_renders(model, videos, cams, reference=np.full((2, 2, 3), 99, np.uint8))
    assert model.calls == [([5 * i + t for t in range(T)], 99) for i in range(N)]
    expected = [(5 * i + t) * 10 + j for t in range(T) for i in range(N) for j in range(N)]
    assert [int(f[0, 0, 0]) for f in out] == expected


def test_most_frontal_camera_of_a_rig():
    cams = arc_cameras()
    # yaws ±8° at elevations ±8° tie; the first of them (yaw -8°, above) is taken
    assert list(cams)[most_frontal([c.cam2world for c in cams.values()])] == "cam01"
    # an exactly central camera wins over the others
    from talkbench.geometry import rotation_from_euler

    rig = []
    for yaw in (-30.0, 0.0, 30.0, 50.0):
        m = np.eye(4)
        m[:3, :3] = rotation_from_euler(0.0, np.radians(yaw), 0.0)
        rig.append(m)
    assert most_frontal(rig) == 1  # mean axis near yaw 12°: the 0° camera is closer than the 30° one
