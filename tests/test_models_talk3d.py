"""Talk3D: released-layout parity, the parts with hand-checkable behaviour, cameras, checkpoints, audio windows."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from talkbench.models.components.cameras import angles_from_camera, camera_from_angles
from talkbench.models.talk3d.audio import attention_windows, build_wav2vec2, frame_windows, wav2vec2_logits
from talkbench.models.talk3d.checkpoint import load_checkpoint, save_checkpoint
from talkbench.models.talk3d.config import tiny_config
from talkbench.models.talk3d.networks import (AudioAttNet, NerfEmbedding, Talk3DNetworks, aware3d,
                                              triplane_positional_encoding)
from talkbench.weights.pickle_reader import UnsafePickleError

from .checkpoint_manifests import manifest

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def released():
    torch.manual_seed(0)
    return Talk3DNetworks()


def test_networks_equal_may_demo_layout_and_counts(released):
    m = manifest("talk3d_may_demo")
    sd = released.state_dict()
    nets = [k for k in sd if k != "null_vector"]  # a module's own parameter lists first in state_dict()
    assert nets + ["null_vector"] == list(m["state_dict"])  # same keys, same order
    assert {k: list(v.shape) for k, v in sd.items()} == m["state_dict"]
    assert len(sd) == m["num_keys"] == 426
    assert {k for k, v in sd.items() if v.dtype != torch.float32} == set(m["non_float32_keys"])
    counts = m["param_counts"]
    for top, expected in counts.items():
        if isinstance(expected, dict):
            module = getattr(released, top)
            assert sum(p.numel() for p in module.parameters()) == expected["total"], top
            for child, n in expected["children"].items():
                assert sum(p.numel() for p in getattr(module, child).parameters()) == n, f"{top}.{child}"
    assert sum(p.numel() for p in released.parameters()) == counts["total"] == 17_586_277
    buffers = {k for k, _ in released.named_buffers()}
    assert {f"{k}" for k in m["buffers"]} <= buffers | {"null_vector"}


def test_aware3d_adds_the_other_planes_reduced_along_the_shared_axis():
    xy = torch.arange(4.0).reshape(1, 1, 2, 2)          # [[0, 1], [2, 3]]
    yz = 10 + torch.arange(4.0).reshape(1, 1, 2, 2)     # [[10, 11], [12, 13]]
    zx = 20 + torch.arange(4.0).reshape(1, 1, 2, 2)     # [[20, 21], [22, 23]]
    a, b, c = aware3d(xy, yz, zx)
    assert a.shape == b.shape == c.shape == (1, 3, 2, 2)
    assert torch.equal(a[0, 0], xy[0, 0]) and torch.equal(b[0, 1], yz[0, 0]) and torch.equal(c[0, 2], zx[0, 0])
    # xy plane, channel 1: yz transposed, averaged over its last axis -> column means of yz, broadcast along W
    assert torch.equal(a[0, 1], torch.tensor([[11.0, 11.0], [12.0, 12.0]]))
    # xy plane, channel 2: zx transposed, averaged over rows -> row means of zx, broadcast along H
    assert torch.equal(a[0, 2], torch.tensor([[20.5, 22.5], [20.5, 22.5]]))
    # zx plane, channel 0: xy transposed averaged over its last axis -> column means of xy along W
    assert torch.equal(c[0, 0], torch.tensor([[1.0, 1.0], [2.0, 2.0]]))


def test_triplane_positional_encoding_values():
    pe = triplane_positional_encoding(4, 12)  # ch = ceil(12/6)*2 = 4 per axis: freqs 1, 1/100
    assert pe.shape == (1, 16, 36)
    freq = [1.0, 10000 ** (-2 / 4)]

    def axis(p):  # interleaved sin, cos per frequency
        return [f(p * w) for w in freq for f in (math.sin, math.cos)]

    centre = [(a + b) / 2 for a, b in zip(axis(1), axis(2))]  # mean of slices 1 and 2
    # plane 0 (z averaged), token (x=3, y=2) -> index 3*4+2: x-part, y-part, then the first 4 z-part channels
    assert np.allclose(pe[0, 3 * 4 + 2, :12].numpy(), axis(3) + axis(2) + centre, atol=1e-6)
    # plane 1 (x averaged), token (y=1, z=3)
    assert np.allclose(pe[0, 1 * 4 + 3, 12:24].numpy(), centre + axis(1) + axis(3), atol=1e-6)
    # plane 2 (y averaged), token (x=0, z=2)
    assert np.allclose(pe[0, 0 * 4 + 2, 24:].numpy(), axis(0) + centre + axis(2), atol=1e-6)


def test_nerf_embedding_and_token_sizes():
    emb = NerfEmbedding(1, 16)
    x = torch.tensor([[0.5]])
    out = emb(x)
    assert out.shape == (1, 33)
    assert out[0, 0] == 0.5 and torch.isclose(out[0, 1], torch.sin(torch.tensor(0.5)))
    assert torch.isclose(out[0, 4], torch.cos(torch.tensor(1.0)))  # k=1: sin(2x), cos(2x)
    torch.manual_seed(0)
    net = Talk3DNetworks(tiny_config())
    tokens = net.tokens(torch.randn(2, 8, 44, 16), torch.rand(2, 1), torch.randn(2, 3), torch.randn(2, 3, 2))
    assert tokens.shape == (2, 5, 64)
    assert torch.equal(tokens[:, 2], net.null_vector.expand(2, -1, -1)[:, 0])


def test_audio_attention_is_a_convex_combination():
    torch.manual_seed(0)
    att = AudioAttNet(64, 8)
    x = torch.randn(3, 8, 64)
    out = att(x)
    weights = att.attentionNet(att.attentionConvNet(x.permute(0, 2, 1)).reshape(3, 8))
    assert torch.allclose(weights.sum(1), torch.ones(3))
    assert torch.allclose(out, (weights[..., None] * x).sum(1), atol=1e-6)
    same = att(x[:1].expand(1, -1, -1).clone().fill_(2.0))
    assert torch.allclose(same, torch.full((1, 64), 2.0), atol=1e-5)  # weights sum to one


def test_zero_initialised_last_conv_gives_a_zero_delta():
    torch.manual_seed(0)
    net = Talk3DNetworks(tiny_config()).eval()
    net.deltaplane_predictor.zero_init_last_conv()
    planes = torch.randn(1, 24, 64, 64)
    tokens = torch.randn(1, 5, 64)
    assert torch.count_nonzero(net(planes, tokens)) == 0


def test_rad_nerf_windows():
    logits = torch.arange(10.0)[:, None].repeat(1, 2)  # T = 10 rows, value = row index
    w = frame_windows(logits, 16)
    assert w.shape == (6, 16, 2)  # T // 2 + 1
    # window i covers rows 2i-8 ... 2i+7, zero outside
    expected = [r if 0 <= r < 10 else 0.0 for r in range(2 * 3 - 8, 2 * 3 + 8)]
    assert w[3, :, 0].tolist() == expected
    seq = attention_windows(w, 8)
    assert seq.shape == (6, 8, 2, 16)
    assert torch.equal(seq[0, 4], w[0].t()) and torch.count_nonzero(seq[0, :4]) == 0  # frames -4..-1 are zero
    assert torch.equal(seq[5, 3], w[4].t()) and torch.count_nonzero(seq[5, 5:]) == 0


def test_wav2vec2_is_built_from_config_with_44_logits_at_50_fps():
    from transformers import Wav2Vec2ForCTC

    model = build_wav2vec2(hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64,
                           conv_dim=(16,) * 7, num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=2)
    assert isinstance(model, Wav2Vec2ForCTC) and model.config.vocab_size == 44
    logits = wav2vec2_logits(model, (np.random.default_rng(0).normal(size=16000) * 3000).astype(np.int16))
    assert logits.shape == (49, 44)  # (16000 - 400) // 320 + 1


@pytest.mark.parametrize("yaw, pitch", [(0.0, 0.0), (0.3, -0.2), (-0.5, 0.35)])
def test_vive3d_camera_round_trip(yaw, pitch):
    cam = camera_from_angles(yaw, pitch)
    assert cam.recipe == "vive3d" and cam.intrinsics[0, 0] == 3.6 and cam.intrinsics[0, 2] == 0.5
    assert np.isclose(np.linalg.norm(cam.cam2world[:3, 3]), 2.7)
    y, p = angles_from_camera(cam)
    assert np.isclose(y, yaw, atol=1e-9) and np.isclose(p, pitch, atol=1e-9)
    forward = np.array([0, 0.05, 0.2]) - cam.cam2world[:3, 3]
    assert np.allclose(cam.cam2world[:3, 2], forward / np.linalg.norm(forward))  # looks at the pivot


def test_frontal_vive3d_camera_sits_on_the_z_axis():
    cam = camera_from_angles(0.0, 0.0)
    assert np.allclose(cam.cam2world[:3, 3], [0, 0, 2.7], atol=1e-12)


def test_checkpoint_round_trip_and_released_container(tmp_path):
    torch.manual_seed(0)
    net = Talk3DNetworks(tiny_config())
    path = save_checkpoint(tmp_path / "0_10.pt", net.state_dict(), epoch=1, iteration=10)
    assert set(torch.load(path, weights_only=True)) >= {"deltaplane_predictor", "null_vector", "optimizer"}
    ck = load_checkpoint(path)
    assert ck.epoch == 1 and ck.iteration == 10 and ck.provenance == {}
    for k, v in net.state_dict().items():
        assert torch.equal(ck.state_dict[k], v), k
    # the released trainer pickles the Adam and StepLR objects themselves: read without running code
    raw = torch.load(path, weights_only=True)
    opt = torch.optim.Adam(net.parameters(), lr=5e-4)
    raw.update(optimizer=opt, scheduler=torch.optim.lr_scheduler.StepLR(opt, 2, 0.98))
    torch.save(raw, tmp_path / "May_demo.pt")
    released = load_checkpoint(tmp_path / "May_demo.pt")
    assert torch.equal(released.state_dict["null_vector"], net.null_vector.detach())


def test_checkpoint_with_code_is_refused(tmp_path):
    import os

    class Evil:
        def __reduce__(self):
            return os.system, ("true",)

    torch.manual_seed(0)
    raw = {k: {} for k in ("deltaplane_predictor", "blink_encoder", "camera_encoder", "audio_net", "audio_att_net")}
    raw.update(null_vector=torch.zeros(1, 1, 64), optimizer=Evil())
    torch.save(raw, tmp_path / "evil.pt")
    with pytest.raises(UnsafePickleError):
        load_checkpoint(tmp_path / "evil.pt")


def _tiny_model(**kw):
    from dataclasses import replace

    from talkbench.models.talk3d.model import Talk3DModel, random_generator, random_identity

    cfg = replace(tiny_config(neural_rendering_resolution=16, num_samples_coarse=4, num_samples_fine=4), **kw)
    g = random_generator(cfg, 0)
    return cfg, g, random_identity(g, 0)


def test_render_adds_the_delta_plane_and_runs_either_super_resolution():
    from talkbench.models.components.gfpgan import GFPGANConfig, GFPGANv1Clean
    from talkbench.models.talk3d.adapter import camera_labels
    from talkbench.models.talk3d.model import Talk3DModel

    cfg, g, ident = _tiny_model()
    torch.manual_seed(0)
    model = Talk3DModel(cfg, g).eval()
    tokens = torch.randn(1, 5, 64)
    labels = camera_labels(torch.zeros(1), torch.zeros(1))
    with torch.no_grad():
        out = model.render(ident, tokens, labels, generator=torch.Generator().manual_seed(0))
        delta = model.delta_planes(ident, tokens)
        direct = g.render(ident.planes + delta, ident.ws, labels, generator=torch.Generator().manual_seed(0))
    assert out["image"].shape == (1, 3, 128, 128) and out["image_raw"].shape == (1, 3, 16, 16)
    assert torch.allclose(out["image"], direct["image"]) and delta.abs().max() > 0
    cfg_g, g2, ident2 = _tiny_model(superresolution="gfpgan")
    gfp = GFPGANv1Clean(GFPGANConfig(out_size=32, narrow=0.125))
    model = Talk3DModel(cfg_g, g2, gfp).eval()
    with torch.no_grad():
        out = model.render(ident2, tokens, labels)
        up = torch.nn.functional.interpolate(out["image_raw"], size=(32, 32), mode="bilinear", align_corners=False)
        assert torch.allclose(out["image"], gfp(up)[0])
    assert out["image"].shape == (1, 3, 32, 32)


def test_adapter_needs_a_generator_for_a_released_checkpoint(tmp_path):
    from talkbench.errors import InputError
    from talkbench.models.registry import get_model_class

    torch.manual_seed(0)
    path = save_checkpoint(tmp_path / "May_demo.pt", Talk3DNetworks(tiny_config()).state_dict())
    with pytest.raises(InputError, match="generator=G_tune.pkl"):
        get_model_class("talk3d").from_checkpoint(path)


def test_released_files_flow_through_the_adapter(tmp_path, monkeypatch):
    """May_demo.pt-style checkpoint (pickled Adam), an EG3D persistence pickle as G_tune.pkl and the person's
    w: the adapter builds the fixed-plane generator, the identity from w, and renders a 512² frame."""
    from talkbench.models.registry import get_model_class
    from talkbench.models.talk3d.adapter import camera_labels

    from .test_eg3d_generator import TriPlaneGenerator as G, tiny_config as eg3d_tiny, write_persistence_pickle

    torch.manual_seed(0)
    nets = Talk3DNetworks()
    raw = {k: {} for k in ("deltaplane_predictor", "blink_encoder", "camera_encoder", "audio_net", "audio_att_net")}
    for key, value in nets.state_dict().items():
        top, _, rest = key.partition(".")
        if top in raw:
            raw[top][rest] = value
    opt = torch.optim.Adam(nets.parameters(), lr=5e-4)
    raw.update(null_vector=nets.null_vector.detach(), epoch=3, iter=100, optimizer=opt,
               scheduler=torch.optim.lr_scheduler.StepLR(opt, 2, 0.98))
    torch.save(raw, tmp_path / "May_demo.pt")
    g = G(eg3d_tiny()).eval()
    write_persistence_pickle(tmp_path / "G_tune.pkl", g, monkeypatch)
    w = torch.randn(14, 512)
    torch.save(w, tmp_path / "inversion_w_person.pt")
    model = get_model_class("talk3d").from_checkpoint(
        tmp_path / "May_demo.pt", generator=str(tmp_path / "G_tune.pkl"), w_person=str(tmp_path / "inversion_w_person.pt"),
        neural_rendering_resolution=16, num_samples=4)
    gen = model.model.generator
    assert gen.config.plane_convention == "fixed" and gen.config.superresolution == "hybrid2x"
    assert torch.equal(model.identity.ws[0, 5], w[0])  # w_person[:1] repeated to every layer
    with torch.no_grad():
        assert torch.allclose(model.identity.planes, g.planes(w[:1].expand(14, -1)[None]), atol=1e-5)
        tokens = model.model.networks.tokens(torch.randn(1, 8, 44, 16), torch.zeros(1, 1), torch.zeros(1, 3),
                                             torch.zeros(1, 6))
        out = model.model.render(model.identity, tokens, camera_labels(torch.zeros(1), torch.zeros(1)))
    assert out["image"].shape == (1, 3, 128, 128) and torch.isfinite(out["image"]).all()
    assert not any("random initialisation" in n for n in model.comparability_notes())
