"""Real3D-Portrait per-stage speed and peak memory at the paper resolution (random init; CPU here, CUDA
when available). Stages side by side in one group, so their ratios read directly:

  i2p            canonical tri-plane from a 512² source (once per identity)
  motion_adapter 9-channel 512² PNCC -> plane offsets (per frame)
  render         128² rays, 48 + 48 samples, OSG decoder (per frame)
  super_res      HTB-SR: head features + torso warp + background -> 512² (per frame)
  frame          motion adapter + render + HTB-SR (what one output frame costs)
  a2m_4s         audio-to-motion VAE on 4 s of HuBERT features (once per clip)

`extra_info` holds frames per second and peak memory: CUDA `max_memory_allocated` per stage, on CPU
the process's resident-set high-water mark after the stage (monotone over the session, so an upper
bound for later stages). TALKBENCH_BENCH_REDUCED=1 runs 32² rays with 12 + 12 samples instead.
"""
from __future__ import annotations

import math
import os

import numpy as np
import pytest
import torch

from talkbench.models.components import cameras as cams
from talkbench.models.real3d_portrait.audio2motion import Audio2MotionVAE
from talkbench.models.real3d_portrait.config import Real3DPortraitConfig
from talkbench.models.real3d_portrait.model import Real3DPortraitNetwork
from bench.model_stages import DEVICE, run_stage

REDUCED = os.environ.get("TALKBENCH_BENCH_REDUCED") == "1"
RES, SAMPLES = (32, 12) if REDUCED else (128, 48)
GROUP = "real3d-stages-reduced" if REDUCED else "real3d-stages-paper"


@pytest.fixture(scope="module")
def net():
    torch.manual_seed(0)
    cfg = Real3DPortraitConfig(num_samples_coarse=SAMPLES, num_samples_fine=SAMPLES, neural_rendering_resolution=RES)
    return Real3DPortraitNetwork(cfg).eval().to(DEVICE)


@pytest.fixture(scope="module")
def inputs(net):
    g = torch.Generator().manual_seed(1)
    src = (torch.rand(1, 3, 512, 512, generator=g) * 2 - 1).to(DEVICE)
    pncc = (torch.rand(1, 9, 512, 512, generator=g) * 2 - 1).to(DEVICE)
    label = np.concatenate([cams.lookat_cam2world(math.pi / 2, math.pi / 2).ravel(), cams.normalized_intrinsics().ravel()])
    seg = torch.zeros(1, 6, 64, 64, device=DEVICE)
    seg[:, 0, :40], seg[:, 2, 40:] = 1, 1
    kp = torch.zeros(1, 4, 3, device=DEVICE)
    with torch.no_grad():
        planes = net.canonical_planes(src)
    return {"src": src, "pncc": pncc, "cam": torch.tensor(label, dtype=torch.float32, device=DEVICE)[None],
            "seg": seg, "kp": kp, "planes": planes}


def _run(benchmark, fn, rounds: int = 2):
    run_stage(benchmark, fn, f"{RES}² rays, {SAMPLES}+{SAMPLES} samples", rounds)


def _render(net, x):
    return net.render(x["planes"], x["cam"], RES, torch.Generator(device=DEVICE).manual_seed(0))


@pytest.mark.benchmark(group=GROUP)
def test_i2p(benchmark, net, inputs):
    _run(benchmark, lambda: net.canonical_planes(inputs["src"]), rounds=1)


@pytest.mark.benchmark(group=GROUP)
def test_motion_adapter(benchmark, net, inputs):
    _run(benchmark, lambda: net.secc_img2plane_backbone(inputs["pncc"]))


@pytest.mark.benchmark(group=GROUP)
def test_render(benchmark, net, inputs):
    _run(benchmark, lambda: _render(net, inputs))


@pytest.mark.benchmark(group=GROUP)
def test_super_res(benchmark, net, inputs):
    with torch.no_grad():
        out = _render(net, inputs)
    ws = torch.ones(1, net.config.num_ws, net.config.w_dim, device=DEVICE)
    x = inputs
    _run(benchmark, lambda: net.superresolution(out["rgb_raw"], out["features"], ws, x["src"], x["src"], out["weights"],
                                                x["seg"], x["kp"], x["kp"], noise_mode="none"))


@pytest.mark.benchmark(group=GROUP)
def test_frame(benchmark, net, inputs):
    x = inputs

    def frame():
        planes = net.motion_planes(x["planes"], x["pncc"])
        return net.synthesize(planes, x["cam"], x["src"], x["src"], x["seg"], x["kp"], x["kp"], RES,
                              torch.Generator(device=DEVICE).manual_seed(0))

    _run(benchmark, frame)


@pytest.mark.benchmark(group=GROUP)
def test_a2m_4s(benchmark):
    torch.manual_seed(0)
    a2m = Audio2MotionVAE().eval().to(DEVICE)
    hubert = torch.randn(1, 200, 1024, device=DEVICE)
    f0 = torch.full((1, 200), 150.0, device=DEVICE)
    _run(benchmark, lambda: a2m.infer(hubert, f0, generator=torch.Generator(device=DEVICE).manual_seed(0)))
