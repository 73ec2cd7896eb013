"""The torch z-buffer rasteriser against hand-computed coverage, colours, depth order and perspective."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from talkbench.models.components.rasterizer import interpolate, rasterize, rasterize_fragments


def centre(c: float, n: int) -> float:
    """NDC coordinate of pixel centre index c in an image n pixels across."""
    return (2 * c + 1) / n - 1


def test_single_triangle_coverage_colours_and_depth():
    # vertices exactly at pixel centres (col, row) = (0, 0), (3, 0), (0, 3) of a 4×4 image
    v = torch.tensor([[[centre(0, 4), centre(0, 4), 0.5], [centre(3, 4), centre(0, 4), 0.5],
                       [centre(0, 4), centre(3, 4), 0.5]]])
    faces = torch.tensor([[0, 1, 2]])
    rgb = torch.eye(3)[None]  # vertex 0 red, 1 green, 2 blue
    img, mask, depth = rasterize(v, faces, rgb, 4, 4)
    assert img.shape == (1, 3, 4, 4) and mask.shape == (1, 1, 4, 4) and depth.shape == (1, 1, 4, 4)
    expected_mask = np.array([[1, 1, 1, 1], [1, 1, 1, 0], [1, 1, 0, 0], [1, 0, 0, 0]], dtype=np.float32)
    np.testing.assert_array_equal(mask[0, 0].numpy(), expected_mask)  # edges are inclusive
    for r in range(4):
        for c in range(4):
            if r + c <= 3:
                want = [1 - c / 3 - r / 3, c / 3, r / 3]
                np.testing.assert_allclose(img[0, :, r, c].numpy(), want, atol=1e-6)
                assert depth[0, 0, r, c] == pytest.approx(0.5)
            else:
                assert img[0, :, r, c].abs().sum() == 0 and depth[0, 0, r, c] == 0
    # the pixel (1, 1) sits at the centroid
    np.testing.assert_allclose(img[0, :, 1, 1].numpy(), [1 / 3, 1 / 3, 1 / 3], atol=1e-6)


def test_y_points_down_and_winding_culling():
    # a small triangle in the top-left quadrant (y = -1 is the top edge)
    v = torch.tensor([[[-0.9, -0.9, 0.0], [-0.1, -0.9, 0.0], [-0.9, -0.1, 0.0]]])
    faces = torch.tensor([[0, 1, 2]])
    _, mask, _ = rasterize(v, faces, torch.ones(1, 3, 1), 8, 8)
    rows, cols = np.nonzero(mask[0, 0].numpy())
    assert rows.max() < 4 and cols.max() < 4 and mask.sum() > 0
    # 0 -> 1 -> 2 is top-left, top-right, bottom-left: clockwise on the image, a front face that
    # culling keeps; the reversed winding is dropped
    _, kept, _ = rasterize(v, faces, torch.ones(1, 3, 1), 8, 8, cull_backfaces=True)
    _, culled, _ = rasterize(v, torch.tensor([[0, 2, 1]]), torch.ones(1, 3, 1), 8, 8, cull_backfaces=True)
    assert kept.sum() == mask.sum() and culled.sum() == 0


def _two_quads(z_first: float, z_second: float):
    """Two full-screen quads (4 triangles) with constant depths; quad 0 red, quad 1 green."""
    corners = [[-1.5, -1.5], [1.5, -1.5], [1.5, 1.5], [-1.5, 1.5]]
    verts = [[x, y, z_first] for x, y in corners] + [[x, y, z_second] for x, y in corners]
    faces = torch.tensor([[0, 1, 2], [0, 2, 3], [4, 5, 6], [4, 6, 7]])
    colours = torch.tensor([[1.0, 0, 0]] * 4 + [[0, 1.0, 0]] * 4)
    return torch.tensor([verts]), faces, colours[None]


@pytest.mark.parametrize("z0,z1,winner", [(0.2, 0.7, 0), (0.7, 0.2, 1), (0.5, 0.5, 0)])
def test_z_order_nearest_wins_and_ties_go_to_lowest_index(z0, z1, winner):
    v, faces, col = _two_quads(z0, z1)
    img, mask, depth = rasterize(v, faces, col, 6, 5)
    assert mask.all()
    want = torch.tensor([1.0, 0, 0]) if winner == 0 else torch.tensor([0, 1.0, 0])
    assert torch.allclose(img[0].permute(1, 2, 0), want.expand(6, 5, 3))
    assert torch.allclose(depth, torch.full_like(depth, min(z0, z1)))
    # the order of faces in the list does not change the nearest surface
    img2, _, _ = rasterize(v, faces.flip(0), col, 6, 5)
    if z0 != z1:
        assert torch.equal(img, img2)


def test_interpenetrating_triangles_split_by_depth():
    # one triangle tilted in depth, one flat at z = 0: the tilted one is in front on its left half
    v = torch.tensor([[[-3.0, -3.0, -1.0], [3.0, -3.0, 1.0], [0.0, 3.0, 0.0],
                       [-3.0, -3.0, 0.0], [3.0, -3.0, 0.0], [0.0, 3.0, 0.0]]])
    faces = torch.tensor([[0, 1, 2], [3, 4, 5]])
    col = torch.tensor([[[1.0], [1.0], [1.0], [0.0], [0.0], [0.0]]])
    img, _, depth = rasterize(v, faces, col, 4, 8)
    # z of the tilted face = x / 3 at NDC x; visible where x <= 0 (ties at x = 0 go to face 0)
    xs = np.array([centre(c, 8) for c in range(8)])
    np.testing.assert_array_equal(img[0, 0, 0].numpy(), (xs <= 0).astype(np.float32))
    np.testing.assert_allclose(depth[0, 0, 0].numpy(), np.minimum(xs / 3, 0), atol=1e-6)


def test_perspective_correct_interpolation_of_camera_depth():
    # a tilted plane in camera space, projected with a pinhole (clip w = camera z); the attribute is
    # the camera-space z, so perspective-correct interpolation must equal the exact ray-plane depth
    pts = torch.tensor([[-1.0, -1.0, 2.0], [1.5, -1.0, 4.0], [-1.0, 1.5, 3.0]], dtype=torch.float64)
    f = 1.0
    clip = torch.stack([f * pts[:, 0], f * pts[:, 1], pts[:, 2] / 10, pts[:, 2]], -1)[None]
    frags = rasterize_fragments(clip, torch.tensor([[0, 1, 2]]), 32, 32)
    zcam = interpolate(frags, torch.tensor([[0, 1, 2]]), pts[None, :, 2:3].float())[0, 0]
    n = torch.cross(pts[1] - pts[0], pts[2] - pts[0], dim=0)
    d = float(n @ pts[0])
    rows, cols = torch.nonzero(frags.mask[0], as_tuple=True)
    assert rows.numel() > 100
    for r, c in zip(rows.tolist(), cols.tolist()):
        ray = torch.tensor([centre(c, 32) / f, centre(r, 32) / f, 1.0], dtype=torch.float64)
        exact = d / float(n @ ray)
        assert float(zcam[r, c]) == pytest.approx(exact, rel=1e-5)
    # and linear (screen-space) interpolation would have been wrong by far more than that
    lin_bary = frags.bary  # perspective-correct; compare with the NDC path
    ndc = clip[..., :3] / clip[..., 3:]
    frags_ndc = rasterize_fragments(ndc, torch.tensor([[0, 1, 2]]), 32, 32)
    assert torch.equal(frags_ndc.face_index, frags.face_index)
    assert (frags_ndc.bary - lin_bary).abs().max() > 1e-2


def test_batch_and_chunking_invariance(rng):
    V, F = 60, 80
    verts = torch.from_numpy(rng.uniform(-1.2, 1.2, (3, V, 3))).float()
    faces = torch.from_numpy(rng.integers(0, V, (F, 3)))
    attrs = torch.from_numpy(rng.uniform(0, 1, (3, V, 2))).float()
    img, mask, depth = rasterize(verts, faces, attrs, 24, 20)
    for b in range(3):
        one = rasterize(verts[b:b + 1], faces, attrs[b:b + 1], 24, 20)
        assert torch.equal(one[0], img[b:b + 1]) and torch.equal(one[1], mask[b:b + 1]) and torch.equal(one[2], depth[b:b + 1])
    small = rasterize_fragments(verts, faces, 24, 20, chunk_elements=500)
    big = rasterize_fragments(verts, faces, 24, 20)
    assert torch.equal(small.face_index, big.face_index) and torch.equal(small.bary, big.bary)


def test_vertices_behind_the_eye_drop_the_triangle():
    clip = torch.tensor([[[-0.5, -0.5, 0.1, 1.0], [0.5, -0.5, 0.1, 1.0], [0.0, 0.5, 0.1, -1.0]]])
    _, mask, _ = rasterize(clip, torch.tensor([[0, 1, 2]]), torch.ones(1, 3, 1), 8, 8)
    assert mask.sum() == 0


def test_bad_shapes_are_rejected():
    with pytest.raises(ValueError, match="B×V×3"):
        rasterize(torch.zeros(3, 3), torch.tensor([[0, 1, 2]]), torch.zeros(1, 3, 1), 4, 4)
    with pytest.raises(ValueError, match="F×3"):
        rasterize(torch.zeros(1, 3, 3), torch.tensor([0, 1, 2]), torch.zeros(1, 3, 1), 4, 4)


# --- the compiled kernel against the landed torch implementation (tests/rasterizer_reference.py) ---

@pytest.mark.parametrize("mesh", ["warp", "clip", "centres"])
@pytest.mark.parametrize("cull", [False, True])
def test_fragments_bit_identical_to_landed_rasteriser(mesh, cull):
    from tests.mesh_fixtures import closed_clip_mesh, on_pixel_centres_mesh, portrait_warp_mesh
    from tests.rasterizer_reference import reference_rasterize_fragments

    if mesh == "warp":
        (verts, faces), size = portrait_warp_mesh(0), 96
    elif mesh == "clip":
        (verts, faces), size = closed_clip_mesh(1), 80
    else:
        verts, faces, size = on_pixel_centres_mesh()
    new = rasterize_fragments(verts, faces, size, size + 7, cull_backfaces=cull)
    old = reference_rasterize_fragments(verts, faces, size, size + 7, cull_backfaces=cull)
    assert new.mask.float().mean() > 0.2  # the meshes really cover the frame
    for name in ("face_index", "bary", "depth"):
        a, b = getattr(new, name), getattr(old, name)
        assert a.dtype == b.dtype and a.shape == b.shape
        assert torch.equal(a, b), name
