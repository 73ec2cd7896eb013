"""Value tests for the shared EG3D-convention components (talkbench.models.components)."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from talkbench.models.base import Camera
from talkbench.models.components import cameras as cams
from talkbench.models.components.equalized import Conv2dLayer, FullyConnectedLayer, setup_filter, upsample2d
from talkbench.models.components.inpaint import knn_fill_background
from talkbench.models.components.morphable import MorphableModel, synthetic_morphable_model
from talkbench.models.components.osg_decoder import OSGDecoder
from talkbench.models.components.pncc import render_pncc, vertex_pixels
from talkbench.models.components.rays import sample_rays
from talkbench.models.components.renderer import ImportanceRenderer, RenderOptions, march, ray_box_limits
from talkbench.models.components.stylegan2 import SynthesisBlock
from talkbench.models.components.triplane import project_onto_planes, sample_from_planes


def _linear_planes(res=8):
    """plane p, channel 0 = u coordinate of texel centres, channel 1 = v (a linear function)."""
    c = (torch.arange(res) + 0.5) / res * 2 - 1
    v, u = torch.meshgrid(c, c, indexing="ij")
    plane = torch.stack([u, v])  # (2, H, W): value at texel = its centre coordinate
    return plane.unsqueeze(0).unsqueeze(0).repeat(1, 3, 1, 1, 1)


def test_triplane_constant_plane_inside_and_zero_outside():
    planes = torch.full((1, 3, 4, 6, 6), 2.5)
    pts = torch.tensor([[[0.1, -0.2, 0.3], [0.9, 0.0, 0.0]]])  # second point is outside the box (|x| > 0.5)
    f = sample_from_planes(planes, pts, box_warp=1.0)
    assert f.shape == (1, 3, 2, 4)
    assert torch.allclose(f[0, :, 0], torch.full((3, 4), 2.5))
    # plane 0 (xy) and 1 (xz) need x: zero; plane 2 (zx) uses x as v -> zero too
    assert torch.allclose(f[0, :, 1], torch.zeros(3, 4))


def test_triplane_linear_plane_recovers_coordinates_both_conventions():
    planes = _linear_planes(16)
    p = torch.tensor([[[0.11, -0.23, 0.31]]])  # inside the central region: bilinear is exact for linear data
    x, y, z = (2 * p[0, 0]).tolist()  # coordinates scaled by 2/box_warp
    eg3d = sample_from_planes(planes, p, 1.0, "eg3d")[0, :, 0]
    fixed = sample_from_planes(planes, p, 1.0, "fixed")[0, :, 0]
    expect_eg3d = torch.tensor([[x, y], [x, z], [z, x]])
    expect_fixed = torch.tensor([[x, y], [x, z], [z, y]])
    assert torch.allclose(eg3d, expect_eg3d, atol=1e-5)
    assert torch.allclose(fixed, expect_fixed, atol=1e-5)
    assert not torch.allclose(eg3d[2], fixed[2])  # the conventions differ only on the third plane
    assert torch.equal(eg3d[:2], fixed[:2])


def test_triplane_box_warp_scales_coordinates():
    planes = _linear_planes(16)
    p = torch.tensor([[[0.2, 0.1, -0.3]]])
    a = sample_from_planes(planes, p, box_warp=2.0)
    b = sample_from_planes(planes, p / 2, box_warp=1.0)
    assert torch.allclose(a, b, atol=1e-6)


def test_project_onto_planes_rejects_unknown_convention():
    with pytest.raises(ValueError, match="fixed"):
        project_onto_planes(torch.zeros(1, 1, 3), "yzx")


def test_equalized_linear_matches_hand_computation():
    torch.manual_seed(0)
    layer = FullyConnectedLayer(4, 3, lr_multiplier=0.5, bias_init=0.2)
    x = torch.randn(2, 4)
    w = layer.weight.detach().numpy() * 0.5 / math.sqrt(4)
    b = layer.bias.detach().numpy() * 0.5
    expect = x.numpy() @ w.T + b
    assert np.allclose(layer(x).detach().numpy(), expect, atol=1e-6)
    plain = torch.nn.functional.linear(x, layer.weight, layer.bias)  # a plain Linear with the stored tensors differs
    assert not torch.allclose(plain, layer(x))


def test_equalized_conv_gain():
    torch.manual_seed(0)
    conv = Conv2dLayer(9, 3, 1)
    x = torch.randn(1, 9, 5, 5)
    expect = torch.einsum("oi,bihw->bohw", conv.weight[:, :, 0, 0] / 3.0, x) + conv.bias.view(1, 3, 1, 1)
    assert torch.allclose(conv(x), expect, atol=1e-5)


def test_upsample2d_keeps_constant_images():
    x = torch.full((1, 2, 6, 6), 3.0)
    y = upsample2d(x, setup_filter())
    assert y.shape == (1, 2, 12, 12)
    assert torch.allclose(y[..., 2:-2, 2:-2], torch.full_like(y[..., 2:-2, 2:-2], 3.0), atol=1e-5)


def test_synthesis_block_shapes_and_noise_modes():
    torch.manual_seed(0)
    blk = SynthesisBlock(8, 16, w_dim=12, resolution=16)
    x, img = torch.randn(2, 8, 8, 8), torch.randn(2, 3, 8, 8)
    ws = torch.randn(2, 3, 12)
    h, rgb = blk(x, img, ws, "none")
    assert h.shape == (2, 16, 16, 16) and rgb.shape == (2, 3, 16, 16)
    h2, _ = blk(x, img, ws, "none")
    assert torch.equal(h, h2)
    blk.conv0.noise_strength.data.fill_(1.0)
    h3, _ = blk(x, img, ws, "const")
    assert not torch.allclose(h, h3)
    # batch independence of the grouped modulated convolution
    h_single, _ = blk(x[1:], img[1:], ws[1:], "none")
    assert torch.allclose(h_single[0], h[1], atol=1e-5)


def test_ray_sampler_pixel_centres_and_principal_ray():
    c2w = torch.eye(4)[None]
    c2w[0, 2, 3] = -2.0
    res, f = 4, 2.0
    K = torch.tensor([[[f, 0, 0.5], [0, f, 0.5], [0, 0, 1.0]]])
    o, d = sample_rays(c2w, K, res)
    assert o.shape == d.shape == (1, 16, 3)
    assert torch.allclose(o[0, 0], torch.tensor([0.0, 0.0, -2.0]))
    # pixel (row 0, col 1): centre u = 1.5/4, v = 0.5/4 -> direction ∝ ((u-0.5)/f, (v-0.5)/f, 1)
    u, v = 1.5 / res, 0.5 / res
    expect = torch.tensor([(u - 0.5) / f, (v - 0.5) / f, 1.0])
    assert torch.allclose(d[0, 1], expect / expect.norm(), atol=1e-6)
    # symmetric grid: mean direction is the optical axis
    assert torch.allclose(d[0].mean(0) / d[0].mean(0).norm(), torch.tensor([0.0, 0.0, 1.0]), atol=1e-6)


def test_ray_box_limits():
    o = torch.tensor([[0.0, 0.0, -3.0], [2.0, 2.0, -3.0]])
    d = torch.tensor([[0.0, 0.0, 1.0], [0.0, 0.0, 1.0]])
    near, far, valid = ray_box_limits(o, d, 1.0)
    assert torch.allclose(near[0], torch.tensor([2.5])) and torch.allclose(far[0], torch.tensor([3.5]))
    assert valid[0].item() and not valid[1].item()


def test_marcher_softplus_minus_one_density():
    depths = torch.tensor([0.0, 1.0]).view(1, 1, 2, 1)
    sigma = torch.full((1, 1, 2, 1), 3.0)
    colors = torch.full((1, 1, 2, 1), 0.75)
    rgb, depth, w = march(colors, sigma, depths)
    alpha = 1 - math.exp(-math.log1p(math.exp(3.0 - 1.0)) * 1.0)
    assert w.item() == pytest.approx(alpha, rel=1e-5)
    assert rgb.item() == pytest.approx(0.75 * alpha * 2 - 1, rel=1e-5)
    assert depth.item() == pytest.approx(0.5)


class _SphereDecoder(torch.nn.Module):
    """Analytic field ignoring the planes: dense inside a sphere of radius r, white colour."""

    def __init__(self, radius=0.3):
        super().__init__()
        self.radius = radius
        self.coords = None

    def forward(self, feats, dirs):
        n, _, m, _ = feats.shape
        inside = self.coords.norm(dim=-1, keepdim=True) < self.radius
        return {"rgb": torch.ones(n, m, 3), "sigma": torch.where(inside, 200.0, -50.0)}


def test_renderer_sphere_silhouette_depth_and_determinism():
    res = 16
    c2w = torch.tensor(cams.lookat_cam2world(math.pi / 2, math.pi / 2, 2.7, (0, 0, 0)), dtype=torch.float32)[None]
    K = torch.tensor(cams.normalized_intrinsics(1.0), dtype=torch.float32)[None]
    o, d = sample_rays(c2w, K, res)
    planes = torch.zeros(1, 3, 4, 8, 8)
    dec = _SphereDecoder(0.3)
    renderer = ImportanceRenderer(RenderOptions(depth_resolution=48, depth_resolution_importance=48, ray_start=2.0,
                                                ray_end=3.4, deterministic=True))
    orig_run = renderer.run_model

    def run_model(planes, decoder, origins, dirs, depths):
        n, m, s, _ = depths.shape
        dec.coords = (origins.unsqueeze(-2) + depths * dirs.unsqueeze(-2)).reshape(n, -1, 3)
        return orig_run(planes, decoder, origins, dirs, depths)

    renderer.run_model = run_model
    rgb, depth, opacity, _ = renderer(planes, dec, o, d)
    rgb2, depth2, _, _ = renderer(planes, dec, o, d)
    assert torch.equal(rgb, rgb2) and torch.equal(depth, depth2)
    # analytic silhouette: the ray hits the sphere when its distance to the centre is < r
    dist = torch.cross(o[0] - 0, d[0], dim=-1).norm(dim=-1)
    hit = dist < 0.3
    opaque = opacity[0, :, 0] > 0.5
    agree = (hit == opaque).float().mean().item()
    assert agree > 0.95 and hit.any() and (~hit).any()
    # centre ray depth ≈ 2.7 - 0.3 = 2.4 (first surface along the ray)
    centre = torch.argmin(dist)
    assert depth[0, centre, 0].item() == pytest.approx(2.4, abs=0.03)


def test_renderer_random_mode_is_seeded():
    torch.manual_seed(0)
    planes = torch.randn(1, 3, 32, 8, 8)
    dec = OSGDecoder()
    c2w = torch.tensor(cams.lookat_cam2world(math.pi / 2, math.pi / 2), dtype=torch.float32)[None]
    K = torch.tensor(cams.normalized_intrinsics(), dtype=torch.float32)[None]
    o, d = sample_rays(c2w, K, 8)
    r = ImportanceRenderer(RenderOptions(depth_resolution=12, depth_resolution_importance=12))
    a = r(planes, dec, o, d, torch.Generator().manual_seed(3))
    b = r(planes, dec, o, d, torch.Generator().manual_seed(3))
    c = r(planes, dec, o, d, torch.Generator().manual_seed(4))
    assert torch.equal(a[0], b[0]) and not torch.equal(a[0], c[0])


@pytest.mark.parametrize("recipe", sorted(cams.RECIPES))
def test_camera_label_round_trip(recipe):
    euler, trans = np.array([0.1, -0.25, 0.05]), np.array([0.02, -0.1, 0.3])
    cam = cams.camera_from_3dmm(euler, trans, recipe, fitted_focal=1100.0)
    label = cams.camera_to_label(cam)
    back = cams.camera_from_label(label, recipe)
    assert np.array_equal(back.cam2world, cam.cam2world) and np.array_equal(back.intrinsics, cam.intrinsics)
    assert back.recipe == recipe
    e2, t2 = cams.pose_from_camera(back)
    assert np.allclose(e2, euler, atol=1e-10)
    rot = cam.cam2world[:3, :3]
    assert np.allclose(rot @ rot.T, np.eye(3), atol=1e-12)
    if cams.RECIPES[recipe].normalise_radius is None:
        assert np.allclose(t2, trans, atol=1e-10)
    else:
        assert np.linalg.norm(cam.cam2world[:3, 3]) == pytest.approx(2.7)


def test_camera_recipes_differ_and_focal_constants():
    e, t = np.zeros(3), np.zeros(3)
    real3d = cams.camera_from_3dmm(e, t, "real3d").cam2world[:3, 3]
    assert np.allclose(real3d, [0, 0.006, 2.7 + 0.161])  # -R·(0,0,-10)·0.27 + offsets
    goha = cams.camera_from_3dmm(e, t, "goha").cam2world[:3, 3]
    assert np.allclose(goha, [0, 0, 2.7])
    ota = cams.camera_from_3dmm(e, t, "otavatar", fitted_focal=1050.0)
    assert np.allclose(ota.cam2world[:3, 3], np.array([0, 0.015, 2.861]) * 2.7 / 4)
    assert ota.intrinsics[0, 0] == pytest.approx(4.26470, abs=1e-5)
    assert cams.fov_to_intrinsics(18.837)[0, 0] == pytest.approx(4.2634, abs=1e-4)
    with pytest.raises(ValueError):
        cams.camera_from_label(np.zeros(24))
    with pytest.raises(ValueError):
        cams.get_recipe("nope")


def test_lookat_frontal_camera_is_opencv():
    pose = cams.lookat_cam2world(math.pi / 2, math.pi / 2, 2.7, (0, 0, 0.2))
    assert np.allclose(pose[:3, 3], [0, 0, 2.7])
    assert np.allclose(pose[:3, 2], [0, 0, -1])  # forward towards -z
    assert np.allclose(pose[:3, 1], [0, -1, 0])  # OpenCV y down in a y-up world


def test_morphable_mat_round_trip(tmp_path):
    m = synthetic_morphable_model()
    m.to_mat(tmp_path / "BFM_model_front.mat")
    back = MorphableModel.from_mat(tmp_path / "BFM_model_front.mat")
    assert np.allclose(back.mean_shape, m.mean_shape) and np.array_equal(back.faces, m.faces)
    assert back.id_base.shape == (m.n_vertices * 3, 80) and back.exp_base.shape == (m.n_vertices * 3, 64)
    exp = np.zeros(64)
    exp[3] = 2.0
    assert np.allclose(m.shape(exp_coeff=exp).reshape(-1), m.mean_shape.reshape(-1) + 2 * m.exp_base[:, 3])


def test_pncc_matches_direct_vertex_projection():
    m = synthetic_morphable_model(n_lat=16, n_lon=24)
    size = 128
    img = render_pncc(m, size=size)[0]  # (3, H, W) in [-1, 1]
    assert img.shape == (3, size, size)
    assert img.min() >= -1 - 1e-6 and img.max() <= 1 + 1e-6
    pix = vertex_pixels(m.mean_shape, size)
    front = m.mean_shape[:, 2] > m.mean_shape[:, 2].min() + 0.3  # clearly visible vertices
    errs = []
    for (cx, cy), code in zip(pix[front], m.ncc_code[front]):
        col, row = int(cx), int(cy)
        errs.append(np.abs((img[:, row, col].numpy() + 1) / 2 - code).max())
    assert np.median(errs) < 0.03
    assert img[:, 0, 0].tolist() == [-1.0, -1.0, -1.0]  # background corner


def test_knn_fill_uses_only_background_pixels():
    img = np.zeros((6, 6, 3), np.uint8)
    img[:, :3] = 10
    img[:, 3:] = 200
    img[2:4, 2:4] = 255  # foreground (masked out) pixels with a colour that must not survive
    mask = np.ones((6, 6), bool)
    mask[2:4, 2:4] = False
    out = knn_fill_background(img, mask)
    assert set(np.unique(out[2:4, 2:4])) <= {10, 200}
    assert (out[2:4, 2] == 10).all() and (out[2:4, 3] == 200).all()
    assert np.array_equal(out[mask], img[mask])
