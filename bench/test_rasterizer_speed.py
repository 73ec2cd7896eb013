"""The rasteriser at 512² on a ~1000-triangle portrait-warp mesh (2 frames) and a perspective sphere:
vs the landed torch implementation (tests/rasterizer_reference.py, issue 17 goal ≥ 20×, identical
fragments) and vs the memory floor (allocating and filling the same output buffers)."""
from __future__ import annotations

import pytest
import torch

from talkbench.models.components.rasterizer import rasterize_fragments
from tests.mesh_fixtures import closed_clip_mesh, portrait_warp_mesh
from tests.rasterizer_reference import reference_rasterize_fragments

SIZE = 512
MESHES = {"portrait-warp": lambda: portrait_warp_mesh(0), "sphere-clip": lambda: closed_clip_mesh(1)}


@pytest.fixture(autouse=True)
def one_thread():
    torch.set_num_threads(1)


def output_fill(verts):
    """The floor: the fragments' memory (face index, barycentrics, depth for every pixel) written once."""
    B = verts.shape[0]
    return (torch.full((B, SIZE, SIZE), -1, dtype=torch.long), torch.zeros(B, SIZE, SIZE, 3),
            torch.zeros(B, SIZE, SIZE))


@pytest.mark.parametrize("mesh", sorted(MESHES))
def test_rasterizer_vs_landed(benchmark, record_ratio, mesh):
    verts, faces = MESHES[mesh]()

    def ours():
        return rasterize_fragments(verts, faces, SIZE, SIZE)

    def landed():
        return reference_rasterize_fragments(verts, faces, SIZE, SIZE)

    new, old = ours(), landed()
    assert all(torch.equal(getattr(new, k), getattr(old, k)) for k in ("face_index", "bary", "depth"))
    row = record_ratio(f"rasterise {mesh}, 2×512²", "talkbench rasterize_fragments", "landed torch rasteriser",
                       ours, landed, goal=20, rounds=3)
    benchmark.pedantic(ours, rounds=5, iterations=1, warmup_rounds=1)
    assert row.speedup >= row.goal, f"rasteriser only {row.speedup:.1f}× faster than the landed one"


@pytest.mark.parametrize("mesh", sorted(MESHES))
def test_rasterizer_vs_memory_floor(benchmark, record_ratio, mesh):
    verts, faces = MESHES[mesh]()

    def ours():
        return rasterize_fragments(verts, faces, SIZE, SIZE)

    # speed-up < 1 here: how many times the floor the rasteriser costs is 1/speed-up
    record_ratio(f"rasterise {mesh} vs floor", "talkbench rasterize_fragments", "fill of the output buffers",
                 ours, lambda: output_fill(verts), rounds=5)
    benchmark.pedantic(ours, rounds=5, iterations=1, warmup_rounds=1)
