"""GFPGANv1Clean: key/shape/parameter parity with the released params_ema, loading, SFT and noise behaviour."""
from __future__ import annotations

import pytest
import torch

from talkbench.errors import InputError
from talkbench.models.components.gfpgan import GFPGANConfig, GFPGANv1Clean, load_gfpgan_params
from talkbench.models.parameters import count_parameters

from .checkpoint_manifests import manifest, manifest_shapes, module_shapes

MANIFEST = "gfpganv1_clean_v1.3_params_ema"


@pytest.fixture(scope="module")
def released_meta():
    with torch.device("meta"):
        return GFPGANv1Clean()


def test_keys_shapes_and_counts_equal_the_release(released_meta):
    assert module_shapes(released_meta, drop_nbt=False) == manifest_shapes(MANIFEST)
    counts = manifest(MANIFEST)["param_counts"]
    assert count_parameters(released_meta) == counts["total_parameters"] == 86_444_252
    for name, n in counts["top_level"].items():
        assert count_parameters(getattr(released_meta, name)) == n, name
    for name, n in counts["stylegan_decoder"].items():
        if name != "__total__":
            assert count_parameters(getattr(released_meta.stylegan_decoder, name)) == n, name
    assert set(manifest(MANIFEST)["buffers"]) == {k for k, _ in released_meta.named_buffers()}


SMALL = GFPGANConfig(out_size=16, num_style_feat=8, channel_multiplier=1, num_mlp=2, narrow=0.125)


def _small(seed=0):
    torch.manual_seed(seed)
    return GFPGANv1Clean(SMALL).eval()


def test_small_network_shapes_and_stored_noise_is_deterministic():
    torch.set_num_threads(1)
    net = _small()
    x = torch.rand(2, 3, 16, 16) * 2 - 1
    with torch.no_grad():
        a, rgbs = net(x)
        b, _ = net(x)
    assert a.shape == (2, 3, 16, 16)
    assert [r.shape[-1] for r in rgbs] == [8, 16]
    assert torch.equal(a, b)
    # the batch is processed independently
    with torch.no_grad():
        single, _ = net(x[1:])
    assert torch.allclose(single, a[1:], atol=1e-5)


def test_noise_modes():
    net = _small()
    with torch.no_grad():
        for conv in [net.stylegan_decoder.style_conv1, *net.stylegan_decoder.style_convs]:
            conv.weight.fill_(0.5)  # non-zero noise strength
        x = torch.rand(1, 3, 16, 16) * 2 - 1
        stored, _ = net(x)
        g1, g2 = torch.Generator().manual_seed(3), torch.Generator().manual_seed(3)
        r1, _ = net(x, noise_mode="random", generator=g1)
        r2, _ = net(x, noise_mode="random", generator=g2)
        r3, _ = net(x, noise_mode="random", generator=g1)
        # replacing the stored buffers changes the stored-noise output
        net.stylegan_decoder.noises.noise0.add_(1.0)
        shifted, _ = net(x)
    assert torch.equal(r1, r2) and not torch.equal(r1, r3)
    assert not torch.allclose(stored, r1)
    assert not torch.allclose(stored, shifted)
    with pytest.raises(ValueError):
        net(x, noise_mode="const")


def test_sft_half_only_modulates_the_second_half():
    """Before the level's second conv the second half of the channels is `x * scale + shift`, the first
    half never sees the conditions (zero, identity and (7, 7) conditions compared)."""
    net = _small()
    dec = net.stylegan_decoder
    latent = torch.randn(1, dec.num_latent, SMALL.num_style_feat)
    c8 = SMALL.unet_channels(8)
    c16 = SMALL.unet_channels(16)
    zero = [torch.zeros(1, c8, 8, 8), torch.zeros(1, c8, 8, 8), torch.zeros(1, c16, 16, 16), torch.zeros(1, c16, 16, 16)]
    identity = [torch.ones_like(zero[0]), zero[1], torch.ones_like(zero[2]), zero[3]]
    big = [torch.full_like(t, 7.0) for t in zero]
    captured = []
    hook = dec.style_convs[1].register_forward_pre_hook(lambda m, args: captured.append(args[0].clone()))
    with torch.no_grad():
        dec(latent, zero)
        dec(latent, identity)
        dec(latent, big)
    hook.remove()
    first, plain, second = captured
    half = first.shape[1] // 2
    assert torch.equal(first[:, :half], second[:, :half]) and torch.equal(first[:, :half], plain[:, :half])
    assert torch.count_nonzero(first[:, half:]) == 0
    assert torch.count_nonzero(plain[:, half:]) > 0
    assert torch.allclose(second[:, half:], plain[:, half:] * 7 + 7, atol=1e-5)


def test_load_params_ema_strict_and_refuses_other_files(tmp_path):
    net = _small(1)
    path = tmp_path / "GFPGANv1.3.pth"
    torch.save({"params_ema": net.state_dict()}, path)
    other = _small(2)
    other.load_state_dict(load_gfpgan_params(path), strict=True)
    x = torch.rand(1, 3, 16, 16) * 2 - 1
    with torch.no_grad():
        assert torch.equal(net(x)[0], other(x)[0])
    torch.save({"params": net.state_dict()}, tmp_path / "fallback.pth")
    assert set(load_gfpgan_params(tmp_path / "fallback.pth")) == set(net.state_dict())
    torch.save({"g": 1}, tmp_path / "bad.pth")
    with pytest.raises(InputError):
        load_gfpgan_params(tmp_path / "bad.pth")


def test_modulated_conv_matches_hand_computed_conv():
    from talkbench.models.components.gfpgan import ModulatedConv

    torch.manual_seed(0)
    conv = ModulatedConv(4, 5, 3, 6, demodulate=True, upsample=True)
    x, style = torch.randn(1, 4, 3, 3), torch.randn(1, 6)
    s = style @ conv.modulation.weight.T + conv.modulation.bias  # (1, 4)
    w = conv.weight[0] * s.view(1, 4, 1, 1)
    w = w / torch.sqrt((w ** 2).sum(dim=(1, 2, 3), keepdim=True) + 1e-8)
    up = torch.nn.functional.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
    expect = torch.nn.functional.conv2d(up, w, padding=1)
    with torch.no_grad():
        assert torch.allclose(conv(x, style), expect, atol=1e-5)
