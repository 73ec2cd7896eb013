"""Loading through the real loader: a random-initialised module saved in the official layout (wrappers,
absent num_batches_tracked) is sha256-checked, loaded and gives identical outputs; the real MTCNN and
LPIPS files shipped in installed packages load with exact keys."""
from __future__ import annotations

import sys

import pytest
import torch

from talkbench.errors import MissingWeightsError, WeightsMismatchError
from talkbench.io.hashing import sha256_file
from talkbench.nets import deep3d_resnet, inception_fid, iresnet, ir_se50
from talkbench.nets import mtcnn as mtcnn_nets
from talkbench.weights.store import load_into, load_verified_state_dict, locate_weights
from tests.checkpoint_manifests import manifest, manifest_shapes


def _randomise(module: torch.nn.Module, seed: int = 0) -> torch.nn.Module:
    """Random weights and non-trivial BatchNorm statistics, so eval outputs depend on every tensor."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, t in module.state_dict().items():
            if t.is_floating_point():
                if name.endswith("running_var"):
                    t.copy_(torch.rand(t.shape, generator=g) + 0.5)
                else:
                    t.copy_(torch.randn(t.shape, generator=g) * (0.05 if t.dim() > 1 else 0.2))
    return module.eval()


def _save(obj, path):
    torch.save(obj, path)
    return sha256_file(path)


def _without_nbt(sd):
    return {k: v for k, v in sd.items() if not k.endswith("num_batches_tracked")}


def test_deep3d_wrapper_and_missing_nbt_load_identically(tmp_path):
    net = _randomise(deep3d_resnet.ReconNet())
    ckpt = {"net_recon": _without_nbt(net.state_dict()),
            "opt_00": {"state": {}, "param_groups": [{"lr": 1e-4, "params": [0, 1]}]},
            "sched_00": {"last_epoch": 20, "step_size": 10}}
    sha = _save(ckpt, tmp_path / "epoch_20.pth")
    sd = load_verified_state_dict(tmp_path / "epoch_20.pth", sha, wrapper_key="net_recon")
    assert {k: tuple(v.shape) for k, v in sd.items()} == manifest_shapes("deep3dfacerecon_epoch_20")
    loaded = deep3d_resnet.load_recon_net(str(tmp_path / "epoch_20.pth"), sha)
    x = torch.rand(2, 3, 64, 64)
    with torch.no_grad():
        out_a, out_b = net(x), loaded(x)
    assert out_a.shape == (2, 257)
    assert torch.equal(out_a, out_b)
    parts = deep3d_resnet.split_coeffs(out_b)
    assert parts["exp"].shape == (2, 64) and parts["angle"].shape == (2, 3) and parts["trans"].shape == (2, 3)


def test_fid_inception_loads_and_forwards_identically(tmp_path):
    net = _randomise(inception_fid.FIDInceptionV3(), seed=1)
    sd = {k: net.state_dict()[k] for k in sorted(net.state_dict())}  # official file: plain dict, sorted keys
    sha = _save(sd, tmp_path / "pt_inception.pth")
    loaded = inception_fid.load_fid_inception(str(tmp_path / "pt_inception.pth"), sha)
    x = torch.rand(1, 3, 64, 80)  # resized to 299 inside
    with torch.no_grad():
        a, b = net(x), loaded(x)
    assert a.shape == (1, 2048) and torch.equal(a, b)


@pytest.mark.parametrize("builder", [lambda: iresnet.iresnet("iresnet50", input_size=32),
                                     lambda: ir_se50.IRSE50(input_size=32)], ids=["iresnet50", "ir_se50"])
def test_face_embedders_load_identically(tmp_path, builder):
    # reduced input size (32 instead of 112) keeps the file small; only the fc input width changes
    net = _randomise(builder(), seed=2)
    sha = _save(_without_nbt(net.state_dict()), tmp_path / "w.pth")
    loaded = _load(builder(), tmp_path / "w.pth", sha)
    x = torch.rand(2, 3, 32, 32)
    with torch.no_grad():
        assert torch.equal(net(x), loaded(x))


def _load(module, path, sha):
    load_into(module, load_verified_state_dict(path, sha))
    return module.eval()


def test_wrong_sha_is_refused(tmp_path):
    torch.save({"w": torch.zeros(2)}, tmp_path / "f.pth")
    with pytest.raises(WeightsMismatchError, match="does not match"):
        load_verified_state_dict(tmp_path / "f.pth", "0" * 64)


def test_unexpected_or_missing_keys_are_refused():
    net = mtcnn_nets.PNet()
    sd = net.state_dict()
    sd.pop("conv1.bias")
    with pytest.raises(ValueError, match="missing"):
        load_into(mtcnn_nets.PNet(), sd)


def test_absent_official_file_raises_missing_weights(monkeypatch, tmp_path):
    monkeypatch.setenv("TALKBENCH_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    with pytest.raises(MissingWeightsError, match="epoch_20.pth.*talkbench weights import") as exc:
        deep3d_resnet.load_recon_net()
    assert exc.value.reason == "missing weights: epoch_20.pth (talkbench weights import PATH --id deep3dfacerecon)"


@pytest.mark.parametrize("name", ["pnet", "rnet", "onet"])
def test_real_mtcnn_weights_from_the_facenet_pytorch_package(name):
    net = mtcnn_nets.load_mtcnn_net(name)  # sha256-verified, strict keys
    expected = manifest_shapes(f"facenet_pytorch_mtcnn_{name}")
    assert {k: tuple(v.shape) for k, v in net.state_dict().items()} == expected
    size = {"pnet": 12, "rnet": 24, "onet": 48}[name]
    x = mtcnn_nets.normalize_pixels(torch.full((1, 3, size, size), 128.0))
    with torch.no_grad():
        outs = net(x)
    prob = outs[-1]
    assert torch.allclose(prob.sum(dim=1), torch.ones_like(prob.sum(dim=1)))
    assert "facenet_pytorch" not in sys.modules and "torchvision" not in sys.modules


def test_real_pnet_matches_a_hand_computed_first_layer():
    """The loaded conv1 really holds the file's tensors: recompute conv1+PReLU by hand at one pixel."""
    net = mtcnn_nets.load_mtcnn_net("pnet")
    raw = load_verified_state_dict("mtcnn_pnet")
    x = torch.randn(1, 3, 3, 3)
    by_hand = (raw["conv1.weight"] * x).sum(dim=(1, 2, 3)) + raw["conv1.bias"]
    by_hand = torch.where(by_hand >= 0, by_hand, raw["prelu1.weight"] * by_hand)
    with torch.no_grad():
        got = net.prelu1(net.conv1(x)).flatten()
    assert torch.allclose(got, by_hand, atol=1e-6)
    assert manifest("facenet_pytorch_mtcnn_pnet")["sha256"] == sha256_file(locate_weights("mtcnn_pnet"))
