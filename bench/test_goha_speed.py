"""GOHA per-stage speed and peak memory at the paper resolution (random init; CPU here, CUDA when
available). Stages side by side in one group:

  parse          BiSeNet parsing mask of a 512² image (source once; canonical render per frame)
  canonical      template SegFormer + Embed2Plane on the masked 512² source (once per identity)
  expression     expression SegFormer + Embed2Plane on the 512² pseudo-3DMM image (per frame)
  lifting        canonical render at 128², parsing of it, 6-ch id SegFormer, nearest-neighbour
                 rasterisation onto 3 planes, IDUpsampler (per frame: the base plane holds the target
                 expression, as released)
  render         224² rays, 48 + 48 samples, fixed plane axes, OSG decoder (per frame)
  super_res      GFPGANv1Clean 512² (per frame)
  frame          expression + lifting + render + SR (what one output frame costs)

`extra_info` holds frames per second and peak memory (CUDA `max_memory_allocated`; on CPU the process's
resident-set high-water mark). TALKBENCH_BENCH_REDUCED=1 renders 32² rays with 12 + 12 samples.
"""
from __future__ import annotations

import math
import os

import numpy as np
import pytest
import torch

from talkbench.models.components import cameras as cams
from talkbench.models.goha.config import GOHAConfig
from talkbench.models.goha.model import GOHANetwork
from bench.model_stages import DEVICE, run_stage

REDUCED = os.environ.get("TALKBENCH_BENCH_REDUCED") == "1"
RES, SAMPLES = (32, 12) if REDUCED else (224, 48)
GROUP = "goha-stages-reduced" if REDUCED else "goha-stages-paper"


@pytest.fixture(scope="module")
def net():
    torch.manual_seed(0)
    cfg = GOHAConfig(render_resolution=RES, num_samples_coarse=SAMPLES, num_samples_fine=SAMPLES)
    return GOHANetwork(cfg).eval().to(DEVICE)


@pytest.fixture(scope="module")
def inputs(net):
    g = torch.Generator().manual_seed(1)
    src = (torch.rand(1, 3, 512, 512, generator=g) * 2 - 1).to(DEVICE)
    pseudo = (torch.rand(1, 3, 512, 512, generator=g) * 2 - 1).to(DEVICE)
    label = np.concatenate([cams.lookat_cam2world(math.pi / 2, math.pi / 2).ravel(), cams.normalized_intrinsics().ravel()])
    with torch.no_grad():
        keep = 1 - net.parsing_mask(src)
        cano = net.canonical_plane(src, keep)
    return {"src": src, "pseudo": pseudo, "keep": keep, "cano": cano,
            "cam": torch.tensor(label, dtype=torch.float32, device=DEVICE)[None]}


def _gen():
    return torch.Generator(device=DEVICE).manual_seed(0)


def _run(benchmark, fn, rounds: int = 1):
    run_stage(benchmark, fn, f"{RES}² rays, {SAMPLES}+{SAMPLES} samples", rounds)


@pytest.mark.benchmark(group=GROUP)
def test_parse(benchmark, net, inputs):
    _run(benchmark, lambda: net.parsing_mask(inputs["src"]))


@pytest.mark.benchmark(group=GROUP)
def test_canonical(benchmark, net, inputs):
    _run(benchmark, lambda: net.canonical_plane(inputs["src"], inputs["keep"]))


@pytest.mark.benchmark(group=GROUP)
def test_expression(benchmark, net, inputs):
    _run(benchmark, lambda: net.expression_plane(inputs["pseudo"]))


@pytest.mark.benchmark(group=GROUP)
def test_lifting(benchmark, net, inputs):
    x = inputs
    _run(benchmark, lambda: net.appearance_plane(x["src"], x["cam"], x["cano"], x["keep"], _gen()))


@pytest.mark.benchmark(group=GROUP)
def test_render(benchmark, net, inputs):
    _run(benchmark, lambda: net.render(inputs["cano"], inputs["cam"], generator=_gen()))


@pytest.mark.benchmark(group=GROUP)
def test_super_res(benchmark, net, inputs):
    raw = torch.rand(1, 3, RES, RES, device=DEVICE) * 2 - 1
    _run(benchmark, lambda: net.super_resolve(raw))


@pytest.mark.benchmark(group=GROUP)
def test_frame(benchmark, net, inputs):
    x = inputs

    def frame():
        plane = x["cano"] + net.expression_plane(x["pseudo"])
        plane = plane + net.appearance_plane(x["src"], x["cam"], plane, x["keep"], _gen())["planes"]
        return net.super_resolve(net.render(plane, x["cam"], generator=_gen())["rgb_raw"])

    _run(benchmark, frame)
