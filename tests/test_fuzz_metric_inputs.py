"""Fuzz suite, metric inputs: seeded random shapes, dtypes, ranges, NaN and empty inputs to the paired-frame metrics.
A valid input gives a value that obeys the metric's identities; an invalid one is a ValueError that says what is
wrong (the runner turns it into a per-item reason naming the metric), never a silent number."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from talkbench.metrics import get_metric

PAIRED = ("psnr", "l1", "mse", "ssim")
RNG_SEED = 2121


def random_shapes(n: int, min_side: int = 1):
    rng = np.random.default_rng(RNG_SEED)
    for _ in range(n):
        yield int(rng.integers(1, 4)), int(rng.integers(min_side, 40)), int(rng.integers(min_side, 40))


def images(shape, seed: int, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    return torch.rand((shape[0], 3, *shape[1:]), generator=g, dtype=dtype)


@pytest.fixture(autouse=True)
def one_thread():
    torch.set_num_threads(1)


@pytest.mark.parametrize("name", PAIRED)
def test_random_valid_shapes_give_values_that_obey_identities(name):
    min_side = 11 if name == "ssim" else 1
    for k, shape in enumerate(random_shapes(12, min_side)):
        x, y = images(shape, k), images(shape, 100 + k)
        m = get_metric(name)
        vals = m.update(x, y).numpy()
        assert vals.shape == (shape[0],) and np.isfinite(vals).all(), (name, shape)
        same = get_metric(name).update(x, x.clone()).numpy()
        expected = {"psnr": np.inf, "l1": 0.0, "mse": 0.0, "ssim": 1.0}[name]
        np.testing.assert_allclose(same, expected, atol=1e-12)
        if name in ("l1", "mse"):
            np.testing.assert_allclose(get_metric(name).update(y, x).numpy(), vals, rtol=0, atol=0)  # symmetric
            assert (vals >= 0).all() and (vals <= 1).all()


@pytest.mark.parametrize("name", PAIRED)
@pytest.mark.parametrize("where", ["pred", "gt"])
@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_pixels_are_refused(name, where, bad):
    x, y = images((2, 16, 16), 1), images((2, 16, 16), 2)
    (x if where == "pred" else y)[1, 0, 3, 4] = bad
    with pytest.raises(ValueError, match="NaN or infinite"):
        get_metric(name).update(x, y)


@pytest.mark.parametrize("name", PAIRED)
@pytest.mark.parametrize("dtype", [torch.uint8, torch.int64, torch.bool])
def test_integer_images_are_refused_not_read_as_0_to_1(name, dtype):
    x = (images((1, 16, 16), 1) * 255).to(dtype)
    with pytest.raises(ValueError, match="floating-point"):
        get_metric(name).update(x, x)


@pytest.mark.parametrize("name", PAIRED)
@pytest.mark.parametrize("shapes", [((1, 3, 16, 16), (1, 3, 16, 17)), ((2, 3, 16, 16), (1, 3, 16, 16)),
                                    ((1, 4, 16, 16), (1, 4, 16, 16)), ((1, 1, 16, 16), (1, 1, 16, 16)),
                                    ((16, 16), (16, 16))])
def test_mismatched_or_non_rgb_shapes_are_refused(name, shapes):
    a, b = (torch.rand(s, dtype=torch.float64) for s in shapes)
    with pytest.raises(ValueError):
        get_metric(name).update(a, b)


@pytest.mark.parametrize("name", PAIRED)
@pytest.mark.parametrize("hw", [(0, 16), (16, 0), (0, 0)])
def test_empty_images_are_refused(name, hw):
    x = torch.zeros((1, 3, *hw), dtype=torch.float64)
    with pytest.raises(ValueError):
        get_metric(name).update(x, x)


@pytest.mark.parametrize("name", PAIRED)
def test_no_frames_give_no_value(name):
    m = get_metric(name)
    m.update(torch.zeros((0, 3, 16, 16), dtype=torch.float64), torch.zeros((0, 3, 16, 16), dtype=torch.float64))
    assert m.compute().value is None


@pytest.mark.parametrize("side", [1, 5, 10])
def test_ssim_below_its_window_names_the_window(side):
    x = images((1, side, side), 3)
    with pytest.raises(ValueError, match="SSIM window"):
        get_metric("ssim").update(x, x)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float16])
def test_other_float_precisions_are_accepted(dtype):
    x, y = images((1, 16, 16), 1, dtype), images((1, 16, 16), 2, dtype)
    ref = get_metric("l1").update(x.double(), y.double()).item()
    assert get_metric("l1").update(x, y).item() == pytest.approx(ref, rel=1e-6)
