"""Talk3D per-stage speed and peak memory at the released resolution (random init; CPU here, CUDA when
available), one benchmark group so the stages' ratios read directly:

  identity       EG3D backbone: w -> 96×256² identity tri-plane (once per person; the release caches it)
  tokens         AudioNet ×8 windows + AudioAttNet + blink/camera encoders + null token (per frame)
  deltaplane     the deltaplane predictor on the 256² tri-plane (per frame)
  render         128² rays, 48 + 48 samples, fixed plane axes, OSG decoder (per frame)
  super_res      EG3D SuperresolutionHybrid8XDC 128 -> 512 (per frame)
  frame          tokens + deltaplane + render + SR (what one output frame costs)

`extra_info` holds frames per second and peak memory (CUDA max allocated per stage; on CPU the process's
resident-set high-water mark). TALKBENCH_BENCH_REDUCED=1 runs 32² rays with 12 + 12 samples.
"""
from __future__ import annotations

import os

import pytest
import torch

from talkbench.models.talk3d.adapter import camera_labels
from talkbench.models.talk3d.config import RELEASED
from talkbench.models.talk3d.model import Talk3DModel, random_generator, random_identity
from bench.model_stages import DEVICE, run_stage

REDUCED = os.environ.get("TALKBENCH_BENCH_REDUCED") == "1"
RES, SAMPLES = (32, 12) if REDUCED else (128, 48)
GROUP = "talk3d-stages-reduced" if REDUCED else "talk3d-stages-paper"


@pytest.fixture(scope="module")
def model():
    from dataclasses import replace

    cfg = replace(RELEASED, neural_rendering_resolution=RES, num_samples_coarse=SAMPLES, num_samples_fine=SAMPLES)
    return Talk3DModel(cfg, random_generator(cfg, 0)).eval().to(DEVICE)


@pytest.fixture(scope="module")
def inputs(model):
    g = torch.Generator().manual_seed(1)
    ident = random_identity(model.generator, 0)
    ident.planes, ident.ws = ident.planes.to(DEVICE), ident.ws.to(DEVICE)
    windows = torch.randn(1, 8, 44, 16, generator=g).to(DEVICE)
    cond = (torch.rand(1, 1, generator=g).to(DEVICE), torch.zeros(1, 3, device=DEVICE), torch.zeros(1, 6, device=DEVICE))
    labels = camera_labels(torch.zeros(1), torch.zeros(1)).to(DEVICE)
    with torch.no_grad():
        tokens = model.networks.tokens(windows, *cond)
        raw = model.generator.render(ident.planes, ident.ws, labels, superresolution=False)
    return {"ident": ident, "windows": windows, "cond": cond, "labels": labels, "tokens": tokens, "raw": raw}


def _run(benchmark, fn, rounds: int = 2):
    run_stage(benchmark, fn, f"{RES}² rays, {SAMPLES}+{SAMPLES} samples", rounds)


@pytest.mark.benchmark(group=GROUP)
def test_identity(benchmark, model, inputs):
    _run(benchmark, lambda: model.generator.planes(inputs["ident"].ws))


@pytest.mark.benchmark(group=GROUP)
def test_tokens(benchmark, model, inputs):
    _run(benchmark, lambda: model.networks.tokens(inputs["windows"], *inputs["cond"]), rounds=5)


@pytest.mark.benchmark(group=GROUP)
def test_deltaplane(benchmark, model, inputs):
    _run(benchmark, lambda: model.delta_planes(inputs["ident"], inputs["tokens"]))


@pytest.mark.benchmark(group=GROUP)
def test_render(benchmark, model, inputs):
    ident = inputs["ident"]
    _run(benchmark, lambda: model.generator.render(ident.planes, ident.ws, inputs["labels"], superresolution=False))


@pytest.mark.benchmark(group=GROUP)
def test_super_res(benchmark, model, inputs):
    raw = inputs["raw"]
    _run(benchmark, lambda: model.generator.superresolution(raw["image_raw"], raw["image_features"], inputs["ident"].ws))


@pytest.mark.benchmark(group=GROUP)
def test_frame(benchmark, model, inputs):
    def frame():
        tokens = model.networks.tokens(inputs["windows"], *inputs["cond"])
        return model.render(inputs["ident"], tokens, inputs["labels"])

    _run(benchmark, frame)
