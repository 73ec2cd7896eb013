"""Real3D-Portrait stage timings at a reduced resolution (random init; CPU here, CUDA when available).

Stages side by side: I2P (canonical plane, once per identity), motion adapter (per frame), tri-plane
rendering (32² rays, 12+12 samples), HTB-SR to 512², and the A2M VAE (4 s of audio). Peak memory is
reported in `extra_info` on CUDA.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from talkbench.models.components import cameras as cams
from talkbench.models.real3d_portrait.audio2motion import Audio2MotionVAE
from talkbench.models.real3d_portrait.config import Real3DPortraitConfig
from talkbench.models.real3d_portrait.model import Real3DPortraitNetwork

DEVICE = "cuda" if torch.cuda.is_available() else "cpu"
RES = 32


@pytest.fixture(scope="module")
def net():
    torch.manual_seed(0)
    cfg = Real3DPortraitConfig(num_samples_coarse=12, num_samples_fine=12, neural_rendering_resolution=RES)
    return Real3DPortraitNetwork(cfg).eval().to(DEVICE)


@pytest.fixture(scope="module")
def inputs():
    g = torch.Generator().manual_seed(1)
    src = (torch.rand(1, 3, 256, 256, generator=g) * 2 - 1).to(DEVICE)
    pncc = (torch.rand(1, 9, 256, 256, generator=g) * 2 - 1).to(DEVICE)
    label = np.concatenate([cams.lookat_cam2world(math.pi / 2, math.pi / 2).ravel(), cams.normalized_intrinsics().ravel()])
    seg = torch.zeros(1, 6, 64, 64, device=DEVICE)
    seg[:, 0, :40], seg[:, 2, 40:] = 1, 1
    return src, pncc, torch.tensor(label, dtype=torch.float32, device=DEVICE)[None], seg


def _run(benchmark, fn):
    if DEVICE == "cuda":
        torch.cuda.reset_peak_memory_stats()
    with torch.no_grad():
        benchmark.pedantic(fn, rounds=2, iterations=1, warmup_rounds=0)
    if DEVICE == "cuda":
        torch.cuda.synchronize()
        benchmark.extra_info["peak_mem_mib"] = torch.cuda.max_memory_allocated() / 2 ** 20
    benchmark.extra_info["device"] = DEVICE


@pytest.mark.benchmark(group="real3d-stages")
def test_i2p(benchmark, net, inputs):
    _run(benchmark, lambda: net.canonical_planes(inputs[0]))


@pytest.mark.benchmark(group="real3d-stages")
def test_motion_adapter(benchmark, net, inputs):
    _run(benchmark, lambda: net.secc_img2plane_backbone(inputs[1]))


@pytest.mark.benchmark(group="real3d-stages")
def test_render(benchmark, net, inputs):
    planes = torch.randn(1, 3, 32, 128, 128, device=DEVICE)
    _run(benchmark, lambda: net.render(planes, inputs[2], RES, torch.Generator(device=DEVICE).manual_seed(0)))


@pytest.mark.benchmark(group="real3d-stages")
def test_full_frame(benchmark, net, inputs):
    src, pncc, cam, seg = inputs
    kp = torch.zeros(1, 4, 3, device=DEVICE)
    planes = torch.randn(1, 3, 32, 128, 128, device=DEVICE)
    _run(benchmark, lambda: net.synthesize(planes, cam, src, src, seg, kp, kp, RES, torch.Generator(device=DEVICE).manual_seed(0)))


@pytest.mark.benchmark(group="real3d-stages")
def test_audio2motion_4s(benchmark):
    torch.manual_seed(0)
    a2m = Audio2MotionVAE().eval().to(DEVICE)
    hubert = torch.randn(1, 200, 1024, device=DEVICE)
    f0 = torch.full((1, 200), 150.0, device=DEVICE)
    _run(benchmark, lambda: a2m.infer(hubert, f0, generator=torch.Generator(device=DEVICE).manual_seed(0)))
