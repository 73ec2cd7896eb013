"""Feature extraction of the set and perceptual metrics vs a plain forward of the same network
(random init in the official layout: official weights are not needed to time them).

- FID: talkbench's feature path (batching, float64 features) vs `net(images)` of the same FID Inception;
  pytorch-fid's pipeline would be the reference where installed, but it runs the same network.
- LPIPS: vs the `lpips` package (random trunk, its shipped heads) where it imports, else a plain
  forward of the same LPIPSNetwork.
A speed-up near 1 means the metric adds nothing to the backbone's own cost (the floor)."""
from __future__ import annotations

import pytest
import torch

from talkbench.metrics.fid import FID
from talkbench.metrics.lpips import LPIPS
from talkbench.nets.inception_fid import FIDInceptionV3
from talkbench.nets.lpips import LPIPSNetwork


@pytest.fixture(scope="module")
def images():
    g = torch.Generator().manual_seed(0)
    return torch.rand(8, 3, 256, 256, generator=g), torch.rand(8, 3, 256, 256, generator=g)


def test_fid_features_vs_plain_forward(benchmark, record_ratio, images):
    torch.manual_seed(0)
    net = FIDInceptionV3().eval()
    metric = FID.with_network(net)

    def ours():
        return metric.features(images[0])

    @torch.no_grad()
    def plain():
        return net(images[0])

    assert torch.allclose(torch.from_numpy(ours()).float(), plain(), atol=1e-5)
    record_ratio("fid features, 8×256²", "talkbench FID.features", "plain forward, same Inception", ours, plain, rounds=2)
    benchmark.pedantic(ours, rounds=2, iterations=1, warmup_rounds=0)


def _lpips_reference(net: LPIPSNetwork):
    try:
        import lpips  # needs torchvision; a plain forward of the same network otherwise
    except ImportError:
        with_grad_off = torch.no_grad()(lambda a, b: net(a, b))
        return "plain forward, same LPIPSNetwork", with_grad_off
    ref = lpips.LPIPS(net="alex", pnet_rand=True, verbose=False).eval()
    return "lpips package 0.1.4", torch.no_grad()(lambda a, b: ref(a, b))


def test_lpips_vs_reference(benchmark, record_ratio, images):
    torch.manual_seed(0)
    net = LPIPSNetwork("alex").eval()
    metric = LPIPS.with_network(net)
    label, reference = _lpips_reference(net)
    a, b = images

    def ours():
        return metric.score_frames(a, b, None)

    record_ratio("lpips alex, 8×256²", "talkbench LPIPS", label, ours, lambda: reference(a * 2 - 1, b * 2 - 1), rounds=3)
    benchmark.pedantic(ours, rounds=3, iterations=1, warmup_rounds=1)
