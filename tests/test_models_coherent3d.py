"""Coherent3D networks: the undistorter's warp (identity at zero correction, exact integer shifts), per-plane
independence of undistorters and fusers, visibility shapes and ground truth, Eq. 8, recurrence, checkpoints."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from talkbench.errors import InputError
from talkbench.models.base import Camera
from talkbench.models.coherent3d.adapter import Coherent3D
from talkbench.models.coherent3d.config import preset
from talkbench.models.coherent3d.network import Coherent3DNetwork
from talkbench.models.coherent3d.training import fusion_loss, masked_mean
from talkbench.models.coherent3d.undistorter import PlaneUndistorter, flow_warp, resize_flow
from talkbench.models.coherent3d.visibility import visibility_ground_truth
from talkbench.models.registry import get_model_class


@pytest.fixture(scope="module")
def net():
    torch.set_num_threads(1)
    torch.manual_seed(0)
    return Coherent3DNetwork(preset("tiny")).eval()


def _planes(seed, b=1, c=8, h=32):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(b, 3, c, h, h, generator=g)


def test_zero_correction_is_the_identity_warp():
    x = torch.randn(2, 8, 16, 16, generator=torch.Generator().manual_seed(1))
    # the identity up to float32 rounding of the sampling grid (|error| ~1e-6 of the values)
    assert torch.allclose(flow_warp(x, torch.zeros(2, 2, 16, 16)), x, atol=1e-5, rtol=0)
    und = PlaneUndistorter(8, levels=3, widths=(8, 8, 8, 8), kernel=3)  # last conv of each level starts at zero
    raw, cano = torch.randn(2, 8, 16, 16), torch.randn(2, 8, 16, 16)
    flow = und(raw, cano)
    assert torch.equal(flow, torch.zeros_like(flow))
    assert torch.allclose(flow_warp(raw, flow), raw, atol=1e-5, rtol=0)


def test_integer_flow_shifts_by_whole_texels():
    x = torch.arange(5 * 6, dtype=torch.float32).view(1, 1, 5, 6)
    flow = torch.zeros(1, 2, 5, 6)
    flow[:, 0] = 1.0  # Δu = +1: out[v, u] = x[v, u + 1]
    out = flow_warp(x, flow)
    assert torch.allclose(out[..., :5], x[..., 1:], atol=1e-5) and torch.all(out[..., 5] == 0)  # zero padding
    half = resize_flow(torch.ones(1, 2, 8, 8) * torch.tensor([2.0, 4.0]).view(1, 2, 1, 1), (4, 4))
    assert torch.allclose(half[:, 0], torch.full((1, 4, 4), 1.0)) and torch.allclose(half[:, 1], torch.full((1, 4, 4), 2.0))


def test_each_plane_has_its_own_undistorter_and_fuser(net):
    raw, cano = _planes(2), _planes(3)
    with torch.no_grad():
        base = net(raw, cano)["fused"]
        saved = {k: v.clone() for k, v in net.state_dict().items()}
        for module in (net.fusers[1], net.undistorters[1]):  # perturb the xz copies only
            for p in module.parameters():
                p.add_(0.5 * torch.randn_like(p))
        moved = net(raw, cano)["fused"]
        net.load_state_dict(saved)
    assert torch.equal(moved[:, 0], base[:, 0]) and torch.equal(moved[:, 2], base[:, 2])
    assert not torch.allclose(moved[:, 1], base[:, 1])
    ids = {id(p) for p in net.fusers[0].parameters()}
    assert not ids & {id(p) for p in net.fusers[1].parameters()}


def test_shapes_and_frozen_lifter(net):
    with torch.no_grad():
        out = net(_planes(4, b=2), _planes(5, b=2))
    assert out["fused"].shape == (2, 3, 8, 32, 32) and out["correction"].shape == (2, 3, 2, 32, 32)
    assert out["vis_raw"].shape == (2, 3, 1, 16, 16) and out["vis_undist"].shape == (2, 3, 1, 16, 16)
    assert float(out["vis_raw"].min()) >= 0 and float(out["vis_raw"].max()) <= 1
    assert not any(p.requires_grad for p in net.lp3d.parameters())
    assert all(p.requires_grad for m in net.trainable_modules().values() for p in m.parameters())


def test_visibility_ground_truth_marks_what_the_camera_sees(net):
    """A thin opaque slab at z = 0 seen from the front: the xy plane is visible inside the ray footprint, and
    the slab's samples all project onto the middle row band of the xz plane (z ≈ 0)."""
    lp = net.lp3d
    planes = torch.zeros(1, 3, 8, 32, 32)

    class Slab(torch.nn.Module):
        def forward(self, feats, dirs):
            return {"rgb": torch.zeros(*feats.shape[0:1], feats.shape[2], 8), "sigma": feats.new_zeros(feats.shape[0], feats.shape[2], 1)}

    c2w = torch.eye(4)[None]
    c2w[0, 2, 3] = -2.7
    K = torch.tensor([[4.0, 0, 0.5], [0, 4.0, 0.5], [0, 0, 1]])[None]

    def decoder(feats, dirs):  # density from the sample position, carried in feature 0 of plane 1 (x, z) below
        return {"rgb": torch.zeros(feats.shape[0], feats.shape[2], 8), "sigma": feats[:, 1, :, :1]}

    # plane 1 samples (x, z): a slab of density at z≈0 (rows 15-16 of the xz plane)
    planes[0, 1, 0, 15:17, :] = 1e4
    vis = visibility_ground_truth(planes, decoder, lp.renderer, c2w, K, ray_resolution=32, out_resolution=16, samples=64)
    assert vis.shape == (1, 3, 1, 16, 16) and set(vis.unique().tolist()) <= {0.0, 1.0}
    xz = vis[0, 1, 0]
    assert xz[7:9].sum() > 0 and xz[:6].sum() == 0 and xz[10:].sum() == 0  # only the slab's depth band
    xy = vis[0, 0, 0]
    assert xy[8, 8] == 1 and xy[0, 0] == 0  # the centre is seen; the corners are outside the rays' footprint


def test_fusion_loss_is_eq8():
    fused = torch.zeros(1, 3, 2, 4, 4)
    gt = torch.zeros(1, 3, 2, 4, 4)
    gt[0, 0, :, :2] = 1.0  # |Δ| = 1 on the top half of plane 0
    vis = torch.zeros(1, 3, 1, 2, 2)
    vis[0, 0, 0, 0] = 1  # the top half of plane 0 (nearest-upsampled to rows 0-1)
    occ = torch.zeros(1, 3, 1, 2, 2)
    occ[0, 1] = 1  # all of plane 1, where Δ = 0
    expected = (2 * 2 * 4) / (3 * 2 * 16) + 1.0 + 0.0  # mean; visible top half all 1; occluded plane all 0
    assert float(fusion_loss(fused, gt, vis, occ)) == pytest.approx(expected, rel=1e-6)
    assert float(masked_mean(torch.ones(1, 1, 2, 2), torch.zeros(1, 1, 2, 2))) == 0.0


def test_recurrence_and_reference(tmp_path):
    torch.set_num_threads(1)
    path = Coherent3D.write_random_checkpoint(tmp_path / "c3d.ckpt", seed=0, preset="tiny")
    rng = np.random.default_rng(0)
    frames = [(rng.random((48, 48, 3)) * 255).astype(np.uint8) for _ in range(2)]
    ref = (rng.random((48, 48, 3)) * 255).astype(np.uint8)
    rec = list(Coherent3D(checkpoint=str(path)).reconstruct_video(frames, ref))
    flat = list(Coherent3D(checkpoint=str(path), recurrent=False).reconstruct_video(frames, ref))
    assert torch.equal(rec[0]["planes"], flat[0]["planes"])  # no hidden state before the first frame
    assert not torch.equal(rec[1]["planes"], flat[1]["planes"])  # the fuser remembers frame 0
    other_ref = list(Coherent3D(checkpoint=str(path)).reconstruct_video(frames[:1], frames[1]))
    assert not torch.equal(other_ref[0]["planes"], rec[0]["planes"])
    cam = Camera(np.eye(4), np.diag([2.6, 2.6, 1.0]))
    cam.cam2world[2, 3] = -3.6
    cam.intrinsics[:2, 2] = 0.5
    model = Coherent3D(checkpoint=str(path))
    assert model.render(rec[0], [cam, cam])[0].shape == (48, 48, 3)
    with pytest.raises(InputError, match="not a Coherent3D checkpoint"):
        from talkbench.models.lp3d.adapter import LP3D

        Coherent3D(checkpoint=str(LP3D.write_random_checkpoint(tmp_path / "lp3d.ckpt", preset="tiny")))


def test_registered_with_per_module_parameters():
    cls = get_model_class("coherent3d")
    assert cls.uses_reference and cls.info.kind == "reconstruction"
    table = {r["module"]: r["parameters"] for r in cls.parameter_table()}
    assert table["coherent3d.lp3d.img2plane"] == 87_332_960
    assert table["coherent3d.undistorters.0"] == table["coherent3d.undistorters.1"] == table["coherent3d.undistorters.2"]
    assert table["coherent3d.undistorters"] == 3 * table["coherent3d.undistorters.0"]
    assert table["coherent3d.fusers"] == 3 * table["coherent3d.fusers.0"]
    assert "coherent3d.visibility" in table


def test_runner_fills_nxn_matrices_for_lp3d_and_coherent3d(tmp_path, monkeypatch):
    from talkbench.models.lp3d.adapter import LP3D
    from talkbench.protocols.api import run
    from tests.protocol_fixtures import make_nersemble_v1, write_protocol

    torch.set_num_threads(1)
    views = ["222200042", "222200037", "222200045"]
    root = make_nersemble_v1(tmp_path / "ners", "018", "EMO-1-shout+laugh", n_frames=2)
    ref = {"clip": "018/EMO-1-shout+laugh", "serials": views}
    metrics = [{"name": n, "options": {"base": "l1"}} for n in ("synthesis_quality", "nvs_quality", "nvv", "ivv")]
    write_protocol(tmp_path / "specs", "c3d-nxn", [{"id": "018", "source": ref, "cameras": ref, "target": ref}],
                   dataset="nersemble-v1", task="multiview-nxn", metrics=metrics,
                   defaults={"resolution": None, "background": "full", "color_correction": False})
    monkeypatch.setenv("TALKBENCH_PROTOCOL_PATH", str(tmp_path / "specs"))
    for name, ckpt in (("lp3d", LP3D.write_random_checkpoint(tmp_path / "l.ckpt", preset="tiny")),
                       ("coherent3d", Coherent3D.write_random_checkpoint(tmp_path / "c.ckpt", preset="tiny"))):
        s = run("c3d-nxn", data=root, out=tmp_path / name, model=name, checkpoint=ckpt)
        m = s["metrics"]
        assert m["synthesis_quality"]["n"] == 1 and np.isfinite(m["nvv"]["value"]) and np.isfinite(m["ivv"]["value"])
        assert m["synthesis_quality"]["value"] > 0  # renders of random weights are not the ground truth
        assert any("random initialisation" in r for r in s.get("comparable_reasons", [])), s.get("comparable_reasons")


def test_training_clips_through_a_dataset_adapter(tmp_path):
    from talkbench.models.multiview_data import load_training_clips
    from talkbench.models.training import FitRequest
    from talkbench.protocols.datasets.multiview_clips import read_clips
    from tests.protocol_fixtures import make_nersemble_v1

    views = ["222200042", "222200037", "222200045"]
    root = make_nersemble_v1(tmp_path / "ners", "018", "EMO-1-shout+laugh", n_frames=2)
    clips = read_clips("nersemble-v1", root, ["018/EMO-1-shout+laugh"], views)
    assert len(clips) == 1 and clips[0].n_frames == 2 and clips[0].serials == views
    assert clips[0].frontal() in views and clips[0].cameras[views[0]].cam2world.shape == (4, 4)
    request = FitRequest(root, tmp_path / "out", options={"dataset": "nersemble-v1"}, clips=tuple(clips))
    assert load_training_clips(request) == clips
    with pytest.raises(InputError, match="clips and cameras"):
        read_clips("nersemble-v1", root, [], views)
    with pytest.raises(InputError, match="read by `talkbench fit"):
        load_training_clips(FitRequest(root, tmp_path / "out", options={"dataset": "nersemble-v1"}))
