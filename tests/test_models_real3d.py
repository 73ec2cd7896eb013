"""Real3D-Portrait: state_dict parity with the released checkpoint manifest, parameter counts,
a reduced-resolution forward pass, and loading a random-init checkpoint in the released container."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from talkbench.errors import MissingWeightsError, WeightsMismatchError
from talkbench.io.hashing import sha256_file
from talkbench.models.components import cameras as cams
from talkbench.models.real3d_portrait.checkpoint import load_model_state, save_release_container
from talkbench.models.real3d_portrait.config import Real3DPortraitConfig
from talkbench.models.real3d_portrait.model import Real3DPortraitNetwork
from talkbench.models.registry import get_model_class

from tests.checkpoint_manifests import MANIFEST_DIR

MANIFEST = MANIFEST_DIR / "real3dportrait_secc2plane_torso_orig.json"
EG3D_MANIFEST = MANIFEST_DIR / "eg3d_ffhq512-128_decoder_superresolution.json"


@pytest.fixture(scope="module")
def net():
    torch.set_num_threads(1)
    torch.manual_seed(0)
    return Real3DPortraitNetwork(Real3DPortraitConfig(num_samples_coarse=8, num_samples_fine=8)).eval()


def _inputs(size=128):
    g = torch.Generator().manual_seed(1)
    src = torch.rand(1, 3, size, size, generator=g) * 2 - 1
    pncc = torch.rand(1, 9, size, size, generator=g) * 2 - 1
    label = np.concatenate([cams.lookat_cam2world(math.pi / 2, math.pi / 2).ravel(), cams.normalized_intrinsics().ravel()])
    return src, pncc, torch.tensor(label, dtype=torch.float32)[None]


def test_state_dict_keys_and_shapes_match_release(net):
    manifest = json.loads(MANIFEST.read_text())
    ref = manifest["state_dict"]
    ours = {k: list(v.shape) for k, v in net.state_dict().items()}
    assert len(ours) == manifest["num_keys"] == 1030
    assert set(ours) == set(ref)
    assert {k: v for k, v in ours.items() if ref[k] != v} == {}
    ints = {k for k, v in net.state_dict().items() if v.dtype != torch.float32}
    assert ints == set(manifest["non_float32_keys"])


def test_parameter_counts_match_measured(net):
    counts = json.loads(MANIFEST.read_text())["param_counts"]
    n = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    assert n(net) == counts["total_parameters"] == 148_019_272
    assert n(net.cano_img2plane_backbone) == 87_332_960
    assert n(net.secc_img2plane_backbone) == 5_705_694
    assert n(net.decoder) == 4_257
    assert n(net.superresolution) == 54_976_359
    for name, value in counts["I2P cano_img2plane_backbone"].items():
        if name != "__total__":
            assert n(getattr(net.cano_img2plane_backbone, name)) == value, name
    for name, value in counts["superresolution.torso_model"].items():
        if name != "__total__":
            assert n(getattr(net.superresolution.torso_model, name)) == value, name


@pytest.mark.skipif(not EG3D_MANIFEST.exists(), reason="checkpoint manifests not present")
def test_decoder_and_sr_blocks_match_eg3d_layout(net):
    ref = json.loads(EG3D_MANIFEST.read_text())["state_dict"]
    ours = {f"superresolution.{k}": list(v.shape) for k, v in net.superresolution.state_dict().items()
            if k.startswith(("block0.", "block1."))}
    ours.update({f"decoder.{k}": list(v.shape) for k, v in net.decoder.state_dict().items()})
    assert ours == ref


def test_planes_and_render_shapes_and_determinism(net):
    src, pncc, cam = _inputs()
    with torch.no_grad():
        cano = net.canonical_planes(src)
        assert cano.shape == (1, 3, 32, 64, 64)
        planes = net.motion_planes(cano, pncc)
        delta = net.secc_img2plane_backbone(pncc)
        assert delta.shape == cano.shape and torch.equal(planes, cano + delta)  # 'add' fusion
        a = net.render(planes, cam, 16, torch.Generator().manual_seed(0))
        b = net.render(planes, cam, 16, torch.Generator().manual_seed(0))
    assert a["features"].shape == (1, 32, 16, 16) and a["depth"].shape == (1, 1, 16, 16)
    assert a["weights"].shape == (1, 1, 16, 16)
    assert torch.equal(a["features"], b["features"]) and torch.equal(a["depth"], b["depth"])
    assert float(a["weights"].min()) >= 0 and float(a["weights"].max()) <= 1 + 1e-5


def test_full_forward_produces_512_frame(net):
    src, pncc, cam = _inputs()
    seg = torch.zeros(1, 6, 64, 64)
    seg[:, 2, 40:] = 1  # body skin at the bottom
    seg[:, 0, :40] = 1
    kp = torch.zeros(1, 68, 3)
    with torch.no_grad():
        out = net(src, pncc, cam, src, src, seg, kp, kp, resolution=16, generator=torch.Generator().manual_seed(0))
    assert out["image"].shape == (1, 3, 512, 512)
    assert out["torso_alpha"].shape == (1, 1, 256, 256)
    assert torch.isfinite(out["image"]).all()


def test_release_container_round_trip(net, tmp_path):
    path = save_release_container(net.state_dict(), tmp_path / "model_ckpt_steps_100000.ckpt", 100000)
    digest = sha256_file(path)
    sd = load_model_state(tmp_path, sha256=digest)  # folder -> latest model_ckpt_steps_*.ckpt
    other = Real3DPortraitNetwork(Real3DPortraitConfig(num_samples_coarse=8, num_samples_fine=8)).eval()
    other.load_state_dict(sd, strict=True)
    src, pncc, cam = _inputs()
    with torch.no_grad():
        a = net.render(net.motion_planes(net.canonical_planes(src), pncc), cam, 16, torch.Generator().manual_seed(5))
        b = other.render(other.motion_planes(other.canonical_planes(src), pncc), cam, 16,
                         torch.Generator().manual_seed(5))
    assert torch.equal(a["features"], b["features"])
    with pytest.raises(WeightsMismatchError):
        load_model_state(path, sha256="0" * 64)
    with pytest.raises(MissingWeightsError):
        load_model_state(tmp_path / "absent.ckpt")


def test_registered_model_info():
    cls = get_model_class("real3d-portrait")
    assert cls.info.name == "real3d-portrait"
    assert cls.info.config["neural_rendering_resolution"] == 128
    assert cls.info.config["plane_convention"] == "eg3d"
