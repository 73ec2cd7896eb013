"""FID through `talkbench run` (per-item declared state → codec → merge) equals FID in one pass over the same
frames, on a fake HDTF layout with a random-initialised Inception saved in the official layout."""
from __future__ import annotations

import dataclasses
import math

import pytest
import torch

from talkbench.analysis.stage import FrameAnalysis
from talkbench.cli import main
from talkbench.io.frameset import FrameSet
from talkbench.metrics.fid import FID
from talkbench.nets.inception_fid import FIDInceptionV3
from talkbench.protocols.datasets import open_dataset
from talkbench.protocols.inputs import TASKS
from talkbench.protocols.spec import load_protocol
from talkbench.results.store import load_summary
from talkbench.weights import catalog
from talkbench.weights.store import file_sha256, get_weights_spec, install_path
from tests.protocol_fixtures import BlendModel, make_hdtf, save_frames

@pytest.fixture
def random_inception(tmp_path, monkeypatch):
    """A random-init Inception in the official file layout, installed where talkbench looks, with the catalog
    entry's sha256 replaced by the file's own (the official file cannot be downloaded here)."""
    monkeypatch.setenv("TALKBENCH_HOME", str(tmp_path / "home"))
    torch.manual_seed(0)
    net = FIDInceptionV3().eval()
    spec = get_weights_spec("pt_inception")
    path = install_path(spec)
    path.parent.mkdir(parents=True)
    torch.save({k: v for k, v in net.state_dict().items() if not k.endswith("num_batches_tracked")}, path)
    patched = dataclasses.replace(spec, sha256=file_sha256(path), size_bytes=path.stat().st_size)
    monkeypatch.setattr(catalog, "SPECS", tuple(patched if s.id == spec.id else s for s in catalog.SPECS))
    return net


def test_run_fid_equals_one_pass_fid(tmp_path, random_inception):
    data = make_hdtf(tmp_path / "hdtf", n_frames=3, size=32)
    proto = load_protocol("hdtf-same-id")
    adapters = {"hdtf": open_dataset("hdtf", data)}
    items = [TASKS[proto.task](item, adapters, proto.dataset) for item in proto.items[:3]]
    pred = tmp_path / "pred"
    for item, inputs in zip(proto.items, items):
        save_frames(pred / item["id"], inputs.generate(BlendModel()))
    out = tmp_path / "run"
    rc = main(["run", "--protocol", "hdtf-same-id", "--data", str(data), "--pred", str(pred), "--out", str(out),
               "--metrics", "fid", "--limit", "3", "--json"])
    summary = load_summary(out)
    fid = summary["metrics"]["fid"]
    assert fid["value"] is not None and math.isfinite(fid["value"]), fid
    assert fid["extra"]["n_real"] == fid["extra"]["n_fake"] == 3 * 2  # 3 clips × (3 frames − the source)

    one_pass = FID()  # the same installed file, through the backbone pool; a fresh analysis recomputes the features
    one_pass.use_analysis(FrameAnalysis(None))
    for item, inputs in zip(proto.items, items):
        one_pass.update(FrameSet.from_path(pred / item["id"]).tensor(), real=False)
        one_pass.update(inputs.target.tensor(), real=True)
    expected = one_pass.compute().value
    assert fid["value"] == pytest.approx(expected, rel=1e-9)
    assert rc == 0 and summary["counts"] == {"expected": 3, "evaluated": 3, "missing": 0}
