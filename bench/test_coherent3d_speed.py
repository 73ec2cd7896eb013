"""LP3D and Coherent3D per-stage speed (random init; CPU here, CUDA when available), side by side in one group:

  lift       LP3D image-to-plane: one 512² frame -> (3, 32, 256, 256) tri-plane (per frame; Real3D's I2P)
  fuse       Coherent3D per frame: 3 undistorters (6-level SPyNet) + visibility + 3 recurrent fusers on 256² planes
  render     128² rays, 48 + 48 samples, OSG decoder, EG3D SR to 512² (per output view)
  frame_nxn  what one input frame of an 8-camera N×N item costs: lift + fuse + 8 renders

TALKBENCH_BENCH_REDUCED=1 runs the `tiny` presets instead (64² input, 32² planes and rays, no SR).
"""
from __future__ import annotations

import os

import numpy as np
import pytest
import torch

from talkbench.benchmarks.mini.multiview import arc_cameras
from talkbench.models.coherent3d.config import preset
from talkbench.models.coherent3d.network import Coherent3DNetwork
from talkbench.models.lp3d.network import camera_tensors

DEVICE = "cuda" if torch.cuda.is_available() else "cpu"
REDUCED = os.environ.get("TALKBENCH_BENCH_REDUCED") == "1"
PRESET = "tiny" if REDUCED else "paper"
GROUP = f"coherent3d-stages-{PRESET}"


@pytest.fixture(scope="module")
def setup():
    torch.manual_seed(0)
    net = Coherent3DNetwork(preset(PRESET)).eval().to(DEVICE)
    size = net.config.lp3d.image_size
    img = (torch.rand(1, 3, size, size, generator=torch.Generator().manual_seed(1)) * 2 - 1).to(DEVICE)
    c2w, K = camera_tensors(list(arc_cameras().values()), net.config.lp3d.camera_radius)
    with torch.no_grad():
        planes = net.lp3d.lift(img)
    return net, img, planes, c2w.to(DEVICE), K.to(DEVICE)


def _sync():
    if DEVICE == "cuda":
        torch.cuda.synchronize()


@pytest.mark.benchmark(group=GROUP)
def test_lift(benchmark, setup):
    net, img, *_ = setup
    with torch.no_grad():
        benchmark.pedantic(lambda: (net.lp3d.lift(img), _sync()), rounds=3, iterations=1)


@pytest.mark.benchmark(group=GROUP)
def test_fuse(benchmark, setup):
    net, _, planes, *_ = setup
    with torch.no_grad():
        benchmark.pedantic(lambda: (net(planes, planes), _sync()), rounds=3, iterations=1)


@pytest.mark.benchmark(group=GROUP)
def test_render(benchmark, setup):
    net, _, planes, c2w, K = setup
    gen = torch.Generator(device=DEVICE).manual_seed(0)
    with torch.no_grad():
        benchmark.pedantic(lambda: (net.lp3d.render(planes, c2w[:1], K[:1], gen), _sync()), rounds=3, iterations=1)


@pytest.mark.benchmark(group=GROUP)
def test_frame_nxn(benchmark, setup):
    net, img, planes, c2w, K = setup
    gen = torch.Generator(device=DEVICE).manual_seed(0)

    def frame():
        fused = net(net.lp3d.lift(img), planes)["fused"]
        for i in range(len(c2w)):
            net.lp3d.render(fused, c2w[i:i + 1], K[i:i + 1], gen)
        _sync()

    with torch.no_grad():
        benchmark.pedantic(frame, rounds=1, iterations=1)
    benchmark.extra_info["views"] = int(len(c2w))
    assert np.isfinite(benchmark.stats.stats.mean)
