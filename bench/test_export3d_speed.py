"""Export3D per-stage speed and peak memory at the paper configuration (random init; CPU here, CUDA
when available), stages side by side in one group:

  clebs        β -> β' (LeBS: standardise, MLP, QR basis)
  generator    G(S, β'): stem, patch merge, EAdaLN-ViT, pixel shuffle + low-pass, head -> 3×32×128² tri-plane
  render       64² rays, 48 + 48 samples, OSG decoder (H/4 of 256)
  super_res    conv SR 64² -> 256²
  frame        everything for one output frame (Export3D has no per-identity cache: G takes S and β_D)
  train_step   one paper-configuration training step (batch 2: forward, L1 losses, backward, Adam)

`extra_info` holds frames per second and peak memory (CUDA max allocated, else the process's max RSS,
monotone over the session). TALKBENCH_BENCH_REDUCED=1 uses 32² rays with 12 + 12 samples.
"""
from __future__ import annotations

import math
import os

import numpy as np
import pytest
import torch

from talkbench.models.components import cameras as cams
from talkbench.models.export3d.config import PAPER
from talkbench.models.export3d.network import Export3DNetwork
from bench.model_stages import DEVICE, run_stage

REDUCED = os.environ.get("TALKBENCH_BENCH_REDUCED") == "1"
CFG = PAPER.with_options(neural_rendering_resolution=32, num_samples_coarse=12, num_samples_fine=12,
                         sr_channels=(128, 64, 32)) if REDUCED else PAPER
GROUP = "export3d-stages-reduced" if REDUCED else "export3d-stages-paper"


@pytest.fixture(scope="module")
def net():
    torch.manual_seed(0)
    return Export3DNetwork(CFG).eval().to(DEVICE)


@pytest.fixture(scope="module")
def inputs(net):
    g = torch.Generator().manual_seed(1)
    src = (torch.rand(1, 3, 256, 256, generator=g) * 2 - 1).to(DEVICE)
    exp = (torch.randn(1, 64, generator=g) * 0.3).to(DEVICE)
    label = np.concatenate([cams.lookat_cam2world(math.pi / 2, math.pi / 2).ravel(), cams.normalized_intrinsics().ravel()])
    cam = torch.tensor(label, dtype=torch.float32, device=DEVICE)[None]
    with torch.no_grad():
        planes = net.triplane(src, exp)
    return {"src": src, "exp": exp, "cam": cam, "planes": planes}


def _run(benchmark, fn, rounds: int = 2, grad: bool = False):
    run_stage(benchmark, fn, f"{CFG.neural_rendering_resolution}² rays, {CFG.num_samples_coarse}+{CFG.num_samples_fine} samples", rounds, grad)


def _gen():
    return torch.Generator(device=DEVICE).manual_seed(0)


@pytest.mark.benchmark(group=GROUP)
def test_clebs(benchmark, net, inputs):
    _run(benchmark, lambda: net.encode_expression(inputs["exp"]))


@pytest.mark.benchmark(group=GROUP)
def test_generator(benchmark, net, inputs):
    _run(benchmark, lambda: net.triplane(inputs["src"], inputs["exp"]))


@pytest.mark.benchmark(group=GROUP)
def test_render(benchmark, net, inputs):
    _run(benchmark, lambda: net.render(inputs["planes"], inputs["cam"], _gen()))


@pytest.mark.benchmark(group=GROUP)
def test_super_res(benchmark, net, inputs):
    with torch.no_grad():
        out = net.render(inputs["planes"], inputs["cam"], _gen())
    _run(benchmark, lambda: net.superresolution(out["rgb_raw"], out["features"]))


@pytest.mark.benchmark(group=GROUP)
def test_frame(benchmark, net, inputs):
    _run(benchmark, lambda: net(inputs["src"], inputs["exp"], inputs["cam"], _gen()))


@pytest.mark.benchmark(group=GROUP)
def test_train_step(benchmark, inputs):
    from talkbench.models.export3d.training import generator_losses

    torch.manual_seed(0)
    train_net = Export3DNetwork(CFG).to(DEVICE).train()
    opt = torch.optim.Adam(train_net.parameters(), lr=CFG.lr)
    x = {k: v.expand(2, *v.shape[1:]) for k, v in inputs.items() if k != "planes"}

    def step():
        opt.zero_grad(set_to_none=True)
        out = train_net(x["src"], x["exp"], x["cam"], _gen(), update_ema=True)
        generator_losses(CFG, out, x["src"]).backward()
        opt.step()

    _run(benchmark, step, rounds=1, grad=True)
