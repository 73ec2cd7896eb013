"""Real3D-Portrait audio-to-motion VAE: layout parity with the released checkpoint manifest, parameter
counts, weight norm against torch's reference hook, flow invertibility, pitch bucketing, inference
determinism, and a random-init checkpoint in the released container loading back bit-identically."""
from __future__ import annotations

import json
import math
import warnings

import pytest
import torch

from talkbench.io.hashing import sha256_file
from talkbench.models.real3d_portrait.audio2motion import (
    VAE_MODEL_CONFIG, Audio2MotionConfig, Audio2MotionVAE, f0_to_coarse, load_audio2motion, pad_audio_features)
from talkbench.models.real3d_portrait.checkpoint import save_release_container
from talkbench.models.real3d_portrait.coupling_flow import CouplingFlow
from talkbench.models.real3d_portrait.wavenet import WaveNet, WeightNormConv1d

from tests.checkpoint_manifests import MANIFEST_DIR

MANIFEST = MANIFEST_DIR / "real3dportrait_audio2secc_vae.json"


def _count(m) -> int:
    return sum(p.numel() for p in m.parameters())


def _randomise_flow(model: Audio2MotionVAE, seed: int = 3) -> None:
    """The coupling outputs start at zero (identity flow); give them weights so the flow does something."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for flow in model.vae.prior_flow.flows[::2]:
            flow.post.weight.copy_(torch.randn(flow.post.weight.shape, generator=g) * 0.05)
            flow.post.bias.copy_(torch.randn(flow.post.bias.shape, generator=g) * 0.05)


@pytest.fixture(scope="module")
def a2m():
    torch.set_num_threads(1)
    torch.manual_seed(0)
    model = Audio2MotionVAE()
    _randomise_flow(model)
    return model.eval()


def _audio(b=1, t50=32, seed=1):
    g = torch.Generator().manual_seed(seed)
    hubert = torch.randn(b, t50, 1024, generator=g)
    f0 = torch.rand(b, t50, generator=g) * 300 + 80
    f0[:, ::5] = 0  # some unvoiced frames
    return hubert, f0


def test_state_dict_keys_and_shapes_match_release(a2m):
    manifest = json.loads(MANIFEST.read_text())
    ours = {k: list(v.shape) for k, v in a2m.state_dict().items()}
    assert len(ours) == manifest["num_keys"] == 231
    assert ours == manifest["state_dict"]
    assert {k for k, v in a2m.state_dict().items() if v.dtype != torch.float32} == set(manifest["non_float32_keys"])
    assert {k for k, _ in a2m.named_buffers()} == set(manifest["buffers"])
    # the old weight-norm API's key names, never the parametrizations.* ones
    assert not any("parametrizations" in k for k in ours)
    assert sum(k.endswith("weight_g") for k in ours) == sum(k.endswith("weight_v") for k in ours) == 8 * 2 + 1 + 4 * 9 + 4 * 2 + 1


def test_parameter_counts_match_measured(a2m):
    counts = json.loads(MANIFEST.read_text())["param_counts"]
    assert _count(a2m) == counts["total_parameters"] == 11_864_064
    for name, value in counts["top_level"].items():
        part = getattr(a2m, name, None)
        if part is None:  # downsampler is a parameter-free lambda upstream
            assert value == 0
        else:
            n = part.numel() if isinstance(part, torch.nn.Parameter) else _count(part)
            assert n == value, name
    for name, value in counts["vae"].items():
        if name != "__total__":
            assert _count(getattr(a2m.vae, name)) == value, name


def test_vae_model_variant_count():
    # seed-models.md §10: Real3D VAEModel (no pitch) 10,804,928 parameters, measured from the official code
    model = Audio2MotionVAE(VAE_MODEL_CONFIG)
    assert _count(model) == 10_804_928
    assert not hasattr(model, "cond_proj") and not hasattr(model, "pitch_embed")


def test_weight_norm_matches_torch_reference():
    torch.manual_seed(0)
    ref = torch.nn.Conv1d(6, 10, 5, padding=4, dilation=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = torch.nn.utils.weight_norm(ref)
    ours = WeightNormConv1d(6, 10, 5, dilation=2, padding=4)
    assert set(ours.state_dict()) == set(ref.state_dict()) == {"bias", "weight_g", "weight_v"}
    with torch.no_grad():
        ref.weight_g.mul_(torch.rand_like(ref.weight_g) + 0.5)  # g no longer equal to ||v||
    ours.load_state_dict(ref.state_dict())
    x = torch.randn(2, 6, 17)
    with torch.no_grad():
        assert torch.allclose(ours(x), ref(x), atol=1e-5)
    # at construction g = ||v||, so the effective weight is v itself
    fresh = WeightNormConv1d(4, 3, 3)
    assert torch.allclose(fresh.weight, fresh.weight_v, atol=1e-6)


def test_wavenet_is_local_and_masked():
    torch.manual_seed(0)
    wn = WaveNet(hidden=8, kernel_size=5, dilation_rate=1, n_layers=3, cond_channels=4).eval()
    x, g = torch.randn(1, 8, 40), torch.randn(1, 4, 40)
    with torch.no_grad():
        base = wn(x, 1, g)
        x2 = x.clone()
        x2[..., 20] += 1.0
        diff = (wn(x2, 1, g) - base).abs().amax(dim=1)[0]
        # the last layer feeds only the skip sum, so 3 layers of kernel 5 reach ±2·3 = 6 frames
        changed = torch.nonzero(diff > 0).flatten()
        assert changed.min() >= 14 and changed.max() <= 26 and 20 in changed
        mask = torch.ones(1, 1, 40)
        mask[..., 30:] = 0
        out = wn(x, mask, g)
        assert torch.equal(out[..., 30:], torch.zeros_like(out[..., 30:]))


def test_coupling_flow_identity_at_init_and_invertible(a2m):
    torch.manual_seed(0)
    flow = CouplingFlow(16, 64, 3, 1, 4, 4, 128)
    z, g = torch.randn(2, 16, 8), torch.randn(2, 128, 8)
    with torch.no_grad():
        assert torch.equal(flow(z, 1, g), z)  # zero-initialised couplings and an even number of flips
        trained = a2m.vae.prior_flow
        zp = trained(z, 1, g)
        assert not torch.allclose(zp, z, atol=1e-3)
        assert torch.allclose(trained(zp, 1, g, reverse=True), z, atol=1e-5)
        assert torch.allclose(trained(trained(z, 1, g, reverse=True), 1, g), z, atol=1e-5)


def test_f0_to_coarse_hand_values():
    f0 = torch.tensor([0.0, 20.0, 50.0, 200.0, 1100.0, 5000.0])
    # 200 Hz: mel = 1127 ln(1 + 2/7) = 283.23; (283.23 - 77.76) * 254 / (1064.41 - 77.76) + 1 = 53.90 -> 54
    assert f0_to_coarse(f0).tolist() == [1, 1, 1, 54, 255, 255]
    ramp = f0_to_coarse(torch.linspace(50, 1100, 500))
    assert bool((ramp[1:] >= ramp[:-1]).all()) and int(ramp.min()) == 1 and int(ramp.max()) == 255


def test_inference_shapes_determinism_and_batch_invariance(a2m):
    hubert, f0 = _audio(b=2, t50=32)
    with torch.no_grad():
        a = a2m.infer(hubert, f0, generator=torch.Generator().manual_seed(7))
        b = a2m.infer(hubert, f0, generator=torch.Generator().manual_seed(7))
        c = a2m.infer(hubert, f0, generator=torch.Generator().manual_seed(8))
        assert a.shape == (2, 16, 64) and torch.isfinite(a).all()
        assert torch.equal(a, b) and not torch.allclose(a, c)
        # temperature 0: the output no longer depends on the noise
        z0 = a2m.infer(hubert, f0, temperature=0.0, generator=torch.Generator().manual_seed(1))
        z1 = a2m.infer(hubert, f0, temperature=0.0, generator=torch.Generator().manual_seed(2))
        assert torch.equal(z0, z1)
        # each item only depends on its own inputs (BatchNorm uses running statistics in eval)
        noise = torch.randn(2, 16, 4, generator=torch.Generator().manual_seed(3))
        both = a2m.infer(hubert, f0, noise=noise)
        one = a2m.infer(hubert[1:], f0[1:], noise=noise[1:])
        assert torch.allclose(both[1:], one, atol=1e-5)
        # conditioning matters: different pitch or mouth amplitude -> different motion
        assert not torch.allclose(a2m.infer(hubert, f0 * 1.5, noise=noise), both)
        assert not torch.allclose(a2m.infer(hubert, f0, noise=noise, mouth_amp=0.8), both)
        mask = torch.ones(2, 16)
        mask[:, 12:] = 0
        masked = a2m.infer(hubert, f0, mask=mask, noise=noise)
        assert torch.equal(masked[:, 12:], torch.zeros(2, 4, 64)) and torch.equal(masked[:, :12], both[:, :12])
    with pytest.raises(ValueError, match="multiple of 8"):
        a2m.infer(hubert[:, :30], f0[:, :30])
    with pytest.raises(ValueError, match="f0"):
        a2m.infer(hubert)


def test_pad_audio_features():
    hubert, f0 = _audio(t50=29)
    h, f, n = pad_audio_features(hubert, f0)
    assert h.shape == (1, 32, 1024) and f.shape == (1, 32) and n == 15
    assert torch.equal(h[:, :29], hubert) and torch.equal(h[:, 29:], hubert[:, -1:].expand(-1, 3, -1))
    assert torch.equal(f[:, 29:], torch.zeros(1, 3))


def test_training_pass_and_closed_form_kl():
    torch.manual_seed(0)
    cfg = Audio2MotionConfig(use_prior_flow=False, enc_layers=2, dec_layers=1, hidden=32)
    model = Audio2MotionVAE(cfg).eval()
    hubert, f0 = _audio(t50=32)
    exp = torch.randn(1, 16, 64)
    mask = torch.ones(1, 16)
    with torch.no_grad():
        recon, kl, z = model(exp, mask, hubert, f0, generator=torch.Generator().manual_seed(0))
        g = model.condition(hubert, f0).transpose(1, 2)
        _, m, logs, _ = model.vae.encoder(exp.transpose(1, 2), mask[:, None], model.vae.g_pre_net(g))
    assert recon.shape == (1, 16, 64) and z.shape == (1, 4, 16)
    ref = torch.distributions.kl_divergence(torch.distributions.Normal(m, logs.exp()), torch.distributions.Normal(0.0, 1.0))
    assert math.isclose(float(kl), float(ref.mean()), rel_tol=1e-4)


def test_release_container_round_trip(a2m, tmp_path):
    path = save_release_container(a2m.state_dict(), tmp_path / "model_ckpt_steps_400000.ckpt", 400000)
    loaded = load_audio2motion(tmp_path, sha256=sha256_file(path))  # folder -> latest step, strict load
    hubert, f0 = _audio(t50=16, seed=4)
    with torch.no_grad():
        a = a2m.infer(hubert, f0, generator=torch.Generator().manual_seed(11))
        b = loaded.infer(hubert, f0, generator=torch.Generator().manual_seed(11))
    assert torch.equal(a, b)
    raw = torch.load(path, map_location="cpu", weights_only=True)
    assert set(raw) == {"epoch", "global_step", "checkpoint_callback_best", "optimizer_states", "state_dict"}
    assert raw["global_step"] == 400000 and set(raw["state_dict"]) == {"model"}
