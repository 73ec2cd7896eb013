"""SyncNet: exact key/shape parity with syncnet_v2.model's manifest, forward shapes, and the sha256-checked loader."""
from __future__ import annotations

import json

import pytest
import torch

from talkbench.errors import MissingWeightsError, WeightsMismatchError
from talkbench.io.hashing import sha256_file
from talkbench.nets.syncnet import SyncNet, load_syncnet, random_syncnet

from tests.checkpoint_manifests import MANIFEST_DIR

MANIFEST = MANIFEST_DIR / "syncnet_v2.json"


def _official_layout(net: SyncNet) -> dict[str, torch.Tensor]:
    """A state_dict as the official file stores it: no num_batches_tracked buffers."""
    return {k: v.clone() for k, v in net.state_dict().items() if not k.endswith("num_batches_tracked")}


def test_keys_and_shapes_match_manifest():
    manifest = json.loads(MANIFEST.read_text())
    ours = {k: list(v.shape) for k, v in _official_layout(SyncNet()).items()}
    assert ours == manifest["state_dict"]
    assert len(ours) == manifest["num_tensors"] == 88
    extra = sorted(k for k in SyncNet().state_dict() if k.endswith("num_batches_tracked"))
    assert extra == sorted(manifest["num_batches_tracked"]["keys_in_model_only"])
    n_floats = sum(v.numel() for v in _official_layout(SyncNet()).values())
    assert n_floats == 13_640_256  # manifest: float payload of the official file


def test_forward_shapes_and_input_checks():
    net = random_syncnet(0).net
    with torch.inference_mode():
        assert net.forward_audio(torch.randn(3, 1, 13, 20)).shape == (3, 1024)
        assert net.forward_lip(torch.rand(2, 3, 5, 224, 224) * 255).shape == (2, 1024)
    with pytest.raises(ValueError, match="N×1×13×20"):
        net.forward_audio(torch.randn(3, 1, 13, 16))
    with pytest.raises(ValueError, match="N×3×5×224×224"):
        net.forward_lip(torch.rand(1, 3, 5, 112, 112))


def test_random_init_is_seeded_and_leaves_global_rng_alone():
    torch.manual_seed(7)
    before = torch.rand(1)
    torch.manual_seed(7)
    a, b = random_syncnet(3), random_syncnet(3)
    assert torch.rand(1) == before
    assert all(torch.equal(x, y) for x, y in zip(a.net.state_dict().values(), b.net.state_dict().values()))
    assert a.random_init and a.weights_sha256 is None


def test_loader_reads_official_layout_with_sha256_check(tmp_path):
    src = random_syncnet(11).net
    for m in src.modules():  # make BN statistics non-trivial so that buffers are checked too
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
            m.running_mean.uniform_(-1, 1)
            m.running_var.uniform_(0.5, 2)
    path = tmp_path / "syncnet_v2.model"
    torch.save(_official_layout(src), path)
    loaded = load_syncnet(path, expected_sha256=sha256_file(path))
    assert loaded.weights_sha256 == sha256_file(path) and not loaded.random_init
    for k, v in _official_layout(src).items():
        assert torch.equal(loaded.net.state_dict()[k], v), k
    assert not loaded.net.training
    x = torch.randn(2, 1, 13, 20)
    with torch.inference_mode():
        torch.testing.assert_close(loaded.net.forward_audio(x), src.eval().forward_audio(x))


def test_loader_rejects_a_file_that_is_not_the_official_one(tmp_path):
    path = tmp_path / "syncnet_v2.model"
    torch.save(_official_layout(random_syncnet(1).net), path)
    with pytest.raises(WeightsMismatchError, match="does not match the official"):
        load_syncnet(path)  # default: the official sha256


def test_loader_rejects_wrong_layout(tmp_path):
    state = _official_layout(random_syncnet(1).net)
    state["netfcaud.9.weight"] = torch.zeros(3)
    path = tmp_path / "bad.model"
    torch.save(state, path)
    with pytest.raises(ValueError, match="unexpected"):
        load_syncnet(path, expected_sha256=sha256_file(path))


def test_missing_official_weights_raise_missing_weights_error(tmp_path, monkeypatch):
    monkeypatch.setenv("TALKBENCH_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    with pytest.raises(MissingWeightsError) as err:
        load_syncnet()
    msg = str(err.value)
    assert "syncnet_v2.model" in msg and "robots.ox.ac.uk" in msg and "talkbench weights import" in msg
