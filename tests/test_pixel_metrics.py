"""PSNR/SSIM/L1/MSE against scikit-image and hand-computed values."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from skimage import data as skdata
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from talkbench.metrics import get_metric
from talkbench.metrics.pixel import composite_on_white


def to_t(arr: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(arr)).permute(2, 0, 1)[None].double() / 255.0


def real_pair():
    img = skdata.astronaut()[::4, ::4]  # 128×128 real photograph
    rng = np.random.default_rng(7)
    noisy = np.clip(img.astype(int) + rng.normal(0, 12, img.shape).round().astype(int), 0, 255).astype(np.uint8)
    return noisy, img


def random_pair():
    rng = np.random.default_rng(3)
    a = rng.integers(0, 256, (37, 53, 3), dtype=np.uint8)
    b = np.clip(a.astype(int) + rng.integers(-30, 31, a.shape), 0, 255).astype(np.uint8)
    return a, b


@pytest.mark.parametrize("pair", [real_pair, random_pair], ids=["astronaut", "random"])
def test_psnr_matches_skimage(pair):
    p, g = pair()
    ref = peak_signal_noise_ratio(g.astype(np.float64) / 255, p.astype(np.float64) / 255, data_range=1.0)
    ours = get_metric("psnr").score_frames(to_t(p), to_t(g), None).item()
    assert abs(ours - ref) <= 1e-6
    # explicit data range 255 on 0..255 values gives the same number
    ours255 = get_metric("psnr", data_range=255.0).score_frames(to_t(p) * 255, to_t(g) * 255, None).item()
    assert abs(ours255 - ref) <= 1e-6


@pytest.mark.parametrize("pair", [real_pair, random_pair], ids=["astronaut", "random"])
def test_ssim_gaussian_matches_skimage_wang(pair):
    p, g = pair()
    ref = structural_similarity(g.astype(np.float64) / 255, p.astype(np.float64) / 255, data_range=1.0,
                                channel_axis=-1, gaussian_weights=True, sigma=1.5, use_sample_covariance=False)
    ours = get_metric("ssim").score_frames(to_t(p), to_t(g), None).item()
    assert abs(ours - ref) <= 1e-6


@pytest.mark.parametrize("pair", [real_pair, random_pair], ids=["astronaut", "random"])
def test_ssim_uniform7_matches_skimage_default(pair):
    p, g = pair()
    ref = structural_similarity(g.astype(np.float64) / 255, p.astype(np.float64) / 255, data_range=1.0, channel_axis=-1)
    ours = get_metric("ssim", window="uniform7").score_frames(to_t(p), to_t(g), None).item()
    assert abs(ours - ref) <= 1e-6


def test_ssim_options_are_distinct_numbers():
    p, g = real_pair()
    a = get_metric("ssim").score_frames(to_t(p), to_t(g), None).item()
    b = get_metric("ssim", window="uniform7").score_frames(to_t(p), to_t(g), None).item()
    assert abs(a - b) > 1e-3  # the two conventions really differ: a paper must say which


def test_l1_mse_psnr_hand_computed():
    g = torch.zeros(1, 3, 4, 4, dtype=torch.float64)
    p = g.clone()
    p[0, 0, 0, 0] = 0.5  # one of 48 values off by 0.5
    assert get_metric("l1").score_frames(p, g, None).item() == pytest.approx(0.5 / 48, abs=1e-15)
    assert get_metric("mse").score_frames(p, g, None).item() == pytest.approx(0.25 / 48, abs=1e-15)
    assert get_metric("psnr").score_frames(p, g, None).item() == pytest.approx(10 * math.log10(48 / 0.25), abs=1e-12)


def test_psnr_identical_frames_is_inf_and_reported():
    g = torch.rand(2, 3, 8, 8)
    m = get_metric("psnr")
    m.update(g, g.clone())
    assert m.compute().value == math.inf


def test_masked_composite_white():
    g = torch.rand(1, 3, 16, 16, dtype=torch.float64)
    p = torch.rand(1, 3, 16, 16, dtype=torch.float64)
    alpha = torch.zeros(1, 1, 16, 16, dtype=torch.float64)
    alpha[..., 4:12, 4:12] = 1.0
    # outside the mask both become white: error only inside, diluted over the full frame
    expected = ((p - g)[..., 4:12, 4:12] ** 2).sum().item() / (3 * 256)
    assert get_metric("mse_masked").score_frames(p, g, alpha).item() == pytest.approx(expected, rel=1e-12)
    assert torch.equal(composite_on_white(p, alpha)[..., 0, 0], torch.ones(1, 3, dtype=torch.float64))
    # the masked-mean region averages only inside the mask
    mm = get_metric("mse", region="masked-mean").score_frames(p, g, alpha).item()
    assert mm == pytest.approx(((p - g)[..., 4:12, 4:12] ** 2).mean().item(), rel=1e-12)
    with pytest.raises(ValueError, match="alpha"):
        get_metric("psnr_masked").score_frames(p, g, None)


def test_masked_ssim_equals_full_ssim_of_composites():
    p, g = real_pair()
    alpha = np.zeros(g.shape[:2]); alpha[20:100, 30:90] = 1
    a = torch.from_numpy(alpha)[None, None]
    ours = get_metric("ssim_masked").score_frames(to_t(p), to_t(g), a).item()
    comp = lambda x: (x.astype(np.float64) / 255) * alpha[..., None] + (1 - alpha[..., None])
    ref = structural_similarity(comp(g), comp(p), data_range=1.0, channel_axis=-1, gaussian_weights=True,
                                sigma=1.5, use_sample_covariance=False)
    assert abs(ours - ref) <= 1e-6


@pytest.mark.parametrize("name", ["psnr", "ssim", "l1", "mse"])
def test_batch_size_invariance(name):
    gen = torch.Generator().manual_seed(0)
    g = torch.rand(7, 3, 24, 24, generator=gen)
    p = (g + 0.05 * torch.randn(7, 3, 24, 24, generator=gen)).clamp(0, 1)
    one, seven = get_metric(name), get_metric(name)
    for k in range(7):
        one.update(p[k:k + 1], g[k:k + 1])
    seven.update(p, g)
    assert one.compute().per_item == seven.compute().per_item  # bit-identical, float64
    assert one.compute().value == seven.compute().value


def test_frame_order_invariance_and_merge():
    gen = torch.Generator().manual_seed(1)
    g, p = torch.rand(6, 3, 16, 16, generator=gen), torch.rand(6, 3, 16, 16, generator=gen)
    a = get_metric("ssim"); a.update(p, g)
    perm = torch.tensor([5, 3, 1, 0, 2, 4])
    b = get_metric("ssim"); b.update(p[perm], g[perm])
    assert a.compute().value == pytest.approx(b.compute().value, abs=1e-15)
    s1, s2 = get_metric("ssim"), get_metric("ssim")
    s1.update(p[:2], g[:2]); s2.update(p[2:], g[2:]); s1.merge(s2)
    assert s1.compute().per_item == a.compute().per_item


def test_shape_mismatch_is_an_error():
    with pytest.raises(ValueError, match="differ in shape"):
        get_metric("psnr").update(torch.rand(1, 3, 8, 8), torch.rand(1, 3, 8, 9))


def test_unknown_option_rejected():
    with pytest.raises(TypeError, match="unknown options"):
        get_metric("psnr", datarange=1)
    with pytest.raises(ValueError, match="region"):
        get_metric("psnr", region="face")


def test_ssim_512_frames_match_skimage_both_windows():
    """Full-size 512² photograph (the benchmark's frame size), fused CPU kernel vs scikit-image."""
    img = skdata.astronaut()
    rng = np.random.default_rng(11)
    noisy = np.clip(img.astype(int) + rng.normal(0, 9, img.shape).round().astype(int), 0, 255).astype(np.uint8)
    g, p = img.astype(np.float64) / 255, noisy.astype(np.float64) / 255
    ref_g = structural_similarity(g, p, data_range=1.0, channel_axis=-1, gaussian_weights=True, sigma=1.5,
                                  use_sample_covariance=False)
    ref_u = structural_similarity(g, p, data_range=1.0, channel_axis=-1)
    assert abs(get_metric("ssim").score_frames(to_t(noisy), to_t(img), None).item() - ref_g) <= 1e-6
    assert abs(get_metric("ssim", window="uniform7").score_frames(to_t(noisy), to_t(img), None).item() - ref_u) <= 1e-6


@pytest.mark.parametrize("window", ["gaussian11", "uniform7"])
@pytest.mark.parametrize("region", ["full", "masked-mean"])
def test_ssim_cpu_kernel_equals_torch_path(window, region):
    """The fused CPU kernel and the torch (device) path compute the same float64 numbers."""
    from talkbench.metrics.ssim import ssim_map

    gen = torch.Generator().manual_seed(5)
    g = torch.rand(3, 3, 40, 33, generator=gen, dtype=torch.float64)
    p = (g + 0.1 * torch.randn(g.shape, generator=gen, dtype=torch.float64)).clamp(0, 1)
    alpha = (torch.rand(3, 1, 40, 33, generator=gen, dtype=torch.float64) > 0.3).double()
    m = get_metric("ssim", window=window, region=region, data_range=2.0)
    ours = m.score_frames(p * 2, g * 2, alpha)
    o = m.options
    smap = ssim_map(p * 2, g * 2, 2.0, window, 1.5, 0.01, 0.03, bool(o["sample_covariance"]))
    if region == "full":
        ref = smap.mean(dim=(2, 3)).mean(dim=1)
    else:
        pad = (40 - smap.shape[-2]) // 2
        wv = alpha[..., pad: pad + smap.shape[-2], pad: pad + smap.shape[-1]]
        ref = (smap * wv).sum(dim=(2, 3)).mean(dim=1) / wv.flatten(1).sum(1)
    assert torch.allclose(ours, ref, rtol=0, atol=1e-12)


def test_error_means_cpu_kernel_equals_torch_path():
    from talkbench.metrics.pixel import frame_errors

    gen = torch.Generator().manual_seed(9)
    g, p = torch.rand(4, 3, 17, 23, generator=gen, dtype=torch.float64), torch.rand(4, 3, 17, 23, generator=gen, dtype=torch.float64)
    l1, mse = frame_errors(p, g)
    assert torch.allclose(l1, (p - g).abs().flatten(1).mean(1), rtol=1e-14, atol=0)
    assert torch.allclose(mse, ((p - g) ** 2).flatten(1).mean(1), rtol=1e-14, atol=0)
    ones = torch.ones(4, 1, 17, 23, dtype=torch.float64)  # weighted (torch) path with unit weights: same numbers
    l1w, msew = frame_errors(p, g, ones)
    assert torch.allclose(l1w, l1, rtol=1e-13, atol=0) and torch.allclose(msew, mse, rtol=1e-13, atol=0)
