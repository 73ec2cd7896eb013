"""GOHA: released-layout parity (keys, shapes, parameter counts), SegFormer key naming, the lifting on an
analytic case, the IDUpsampler's up_xy reuse, the parsing mask, and determinism of a reduced network."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from talkbench.models.components import cameras as cams
from talkbench.models.components.segformer import V4_TO_V5, V5_TO_V4, rename_key
from talkbench.models.goha.config import CANO_POSE, GOHAConfig
from talkbench.models.goha.lifting import depth_to_points, rasterize_to_planes, uv_grid
from talkbench.models.goha.model import GOHANetwork
from talkbench.models.goha.networks import IDUpsampler
from talkbench.models.parameters import count_parameters

from tests.checkpoint_manifests import manifest, manifest_shapes, module_shapes

MANIFEST = "goha_stage2"
TINY = GOHAConfig(input_size=64, lifting_resolution=16, plane_resolution=32, render_resolution=16,
                  num_samples_coarse=4, num_samples_fine=4, sr_resolution=32, sr_narrow=0.0625)


@pytest.fixture(scope="module")
def released_meta():
    with torch.device("meta"):
        return GOHANetwork()


def test_every_key_and_shape_of_the_release(released_meta):
    assert module_shapes(released_meta, drop_nbt=False) == manifest_shapes(MANIFEST)
    dtypes = {k: str(v.dtype).replace("torch.", "") for k, v in released_meta.state_dict().items()
              if v.dtype != torch.float32}
    assert dtypes == manifest(MANIFEST)["non_float32_keys"]
    gfp = {k[len("neural_layers.gfpgan."):]: v for k, v in manifest_shapes(MANIFEST).items()
           if k.startswith("neural_layers.gfpgan.")}
    assert gfp == manifest_shapes("gfpganv1_clean_v1.3_params_ema")
    assert set(manifest(MANIFEST)["buffers"]) == {k for k, _ in released_meta.named_buffers()}


def test_parameter_counts_per_module(released_meta):
    counts = manifest(MANIFEST)["param_counts"]
    assert count_parameters(released_meta) == counts["total_parameters"] == 116_124_669
    for name, n in counts["top_level_parameters"].items():
        module = getattr(released_meta, name, None)
        assert (count_parameters(module) if module is not None else 0) == n, name
    for name, n in counts["neural_layers.gfpgan"].items():
        if name != "__total__":
            assert count_parameters(getattr(released_meta.neural_layers.gfpgan, name)) == n, name


def test_buffers_hold_the_released_constants():
    net = GOHANetwork(TINY)
    assert torch.equal(net.cano_pose, torch.tensor([CANO_POSE]))
    lin = torch.linspace(-1, 1, 16)
    u, v = torch.meshgrid(lin, lin, indexing="xy")  # the released definition
    assert torch.equal(net.uv, torch.stack((u, v), dim=-1).view(1, -1, 2))
    assert torch.allclose(net.image_std.flatten(), torch.tensor([0.229, 0.224, 0.225]))


def test_segformer_renames_are_inverse_on_the_released_keys():
    keys = [k.split(".", 1)[1] for k in manifest_shapes(MANIFEST) if k.startswith("id_net.")]
    v5 = [rename_key(k, V4_TO_V5) for k in keys]
    assert "segformer.stages.0.blocks.1.attention.sequence_reduction.layer_norm.weight" in v5
    assert "segformer.stages.3.layer_norm.bias" in v5
    assert [rename_key(k, V5_TO_V4) for k in v5] == keys


def _frontal_camera(batch=1):
    pose = cams.lookat_cam2world(math.pi / 2, math.pi / 2, 2.7, lookat=(0.0, 0.0, 0.0))
    label = np.concatenate([pose.ravel(), cams.normalized_intrinsics().ravel()])
    return torch.tensor(label, dtype=torch.float32)[None].repeat(batch, 1)


def _plane_depth(camera, z0, res):
    """Per-ray depth that puts every point of a res² render on the world plane z = z0."""
    from talkbench.models.components.rays import sample_rays

    b = camera.shape[0]
    origins, dirs = sample_rays(camera[:, :16].view(b, 4, 4), camera[:, 16:].view(b, 3, 3), res)
    z0 = torch.as_tensor(z0, dtype=torch.float32).view(-1, 1)
    return ((z0 - origins[..., 2]) / dirs[..., 2]).view(b, 1, res, res)


def test_lifting_a_plane_of_points_lands_on_the_expected_texels():
    torch.set_num_threads(1)
    res, z0 = 8, 0.1
    cam = _frontal_camera()
    points = depth_to_points(cam[:, :16].view(1, 4, 4), cam[:, 16:].view(1, 3, 3), _plane_depth(cam, z0, res))
    assert torch.allclose(points[..., 2], torch.full((1, res * res), z0), atol=1e-5)
    feats = torch.arange(res * res, dtype=torch.float32).view(1, 1, res, res)  # feature = pixel index
    planes = rasterize_to_planes(points, feats, uv_grid(res))[0, :, 0]  # (3, R, R)
    grid = points[0].view(res, res, 3) * 2  # per pixel (row, col): plane coordinates
    x_of_col, y_of_row = grid[0, :, 0], grid[:, 0, 1]  # the plane is frontal: x depends on the column only
    assert torch.allclose(grid[..., 0], x_of_col.expand(res, res), atol=1e-5)
    lin = torch.linspace(-1, 1, res)
    col = (lin[:, None] - x_of_col[None]).abs().argmin(dim=1)  # nearest column for each texel u
    row = (lin[:, None] - y_of_row[None]).abs().argmin(dim=1)  # nearest row for each texel v
    # xy plane: texel (i, j) at (u_j, v_i) takes the pixel (row[i], col[j])
    assert torch.equal(planes[0], (row[:, None] * res + col[None, :]).float())
    # xz plane: all points share z (= the texel row is irrelevant up to rounding): texel (i, j) takes a
    # pixel of column col[j]; zy plane: u = 2 z0 for every point: texel (i, j) takes a pixel of row row[i]
    assert torch.equal(planes[1].long() % res, col[None, :].expand(res, res))
    assert torch.equal(planes[2].long() // res, row[:, None].expand(res, res))
    assert row.tolist() != sorted(row.tolist())  # y points down in the camera: rows run against v


def test_lifting_is_batched_per_element():
    res = 8
    cam = _frontal_camera(2)
    depth = _plane_depth(cam, [0.1, -0.2], res)
    points = depth_to_points(cam[:, :16].view(2, 4, 4), cam[:, 16:].view(2, 3, 3), depth)
    feats = torch.randn(2, 5, res, res)
    both = rasterize_to_planes(points, feats, uv_grid(res))
    for b in range(2):
        assert torch.equal(both[b], rasterize_to_planes(points[b:b + 1], feats[b:b + 1], uv_grid(res))[0])
    with pytest.raises(ValueError, match="points for"):
        rasterize_to_planes(points[:, :10], feats, uv_grid(res))


def test_id_upsampler_reuses_up_xy_for_all_planes():
    torch.manual_seed(0)
    up = IDUpsampler(6, 4).eval()
    x = torch.randn(1, 3, 6, 5, 5)
    with torch.no_grad():
        base = up(x)
        for name in ("up_xz", "up_zy"):
            for p in getattr(up, name).parameters():
                p.add_(torch.randn_like(p))
        assert torch.equal(up(x), base)  # the unused branches do not matter
        up.skip_xz.weight.add_(1.0)
        changed = up(x)
        assert torch.equal(changed[:, [0, 2]], base[:, [0, 2]]) and not torch.equal(changed[:, 1], base[:, 1])
        up.up_xy[0].weight.add_(0.5)
        again = up(x)
    assert all(not torch.equal(again[:, i], changed[:, i]) for i in range(3))
    assert base.shape == (1, 3, 4, 10, 10)


def test_parsing_mask_drops_glasses_and_hat_and_dilates_eyes():
    net = GOHANetwork(TINY).eval()
    logits = torch.zeros(1, 19, 32, 32)
    logits[:, 1] = 1.0                      # skin everywhere
    logits[:, 4, 10, 10] = 5.0              # one left-eye pixel -> dilated twice with 7x7 = 13x13
    logits[:, 12, 25, 25] = 5.0             # upper lip (original 12): kept, not dilated
    logits[:, 6, 2, 2] = 9.0                # eyeglasses: its channel is dropped -> skin
    logits[:, 18, 30, 3] = 9.0              # hat: the last class is left out of the argmax -> skin
    net.face_parsing_net.forward = lambda x: (logits, logits, logits)
    mask = net.parsing_mask(torch.zeros(1, 3, 32, 32))[0, 0]
    expect = torch.zeros(32, 32)
    expect[4:17, 4:17] = 1
    expect[25, 25] = 1
    assert torch.equal(mask, expect)


def test_tiny_network_forward_is_deterministic_with_a_seed():
    torch.set_num_threads(1)
    torch.manual_seed(0)
    net = GOHANetwork(TINY).eval()
    g = torch.Generator().manual_seed(2)
    src, pseudo = torch.rand(1, 3, 64, 64, generator=g) * 2 - 1, torch.rand(1, 3, 64, 64, generator=g) * 2 - 1
    cam = _frontal_camera()
    with torch.no_grad():
        a = net(src, cam, pseudo, cam, torch.Generator().manual_seed(7))
        b = net(src, cam, pseudo, cam, torch.Generator().manual_seed(7))
        c = net(src, cam, pseudo, cam, torch.Generator().manual_seed(8))
    assert a["image"].shape == (1, 3, 32, 32) and a["rgb_raw"].shape == (1, 3, 16, 16)
    assert torch.equal(a["image"], b["image"]) and torch.equal(a["depth"], b["depth"])
    assert not torch.equal(a["rgb_raw"], c["rgb_raw"])  # stratified jitter follows the generator


def test_sh_shading_hand_values():
    from talkbench.models.components.shading import sh_basis, sh_shade

    n = torch.tensor([[[0.0, 0.0, 1.0]]])
    y = sh_basis(n)[0, 0]
    a0c0 = math.pi / math.sqrt(4 * math.pi)
    a1c1 = 2 * math.pi / math.sqrt(3) * math.sqrt(3) / math.sqrt(4 * math.pi)
    a2c2 = 2 * math.pi / math.sqrt(8) * 3 * math.sqrt(5) / math.sqrt(12 * math.pi)
    expect = torch.tensor([a0c0, 0, a1c1, 0, 0, 0, a2c2 / math.sqrt(3), 0, 0])
    assert torch.allclose(y, expect, atol=1e-6)
    # zero gamma: only the initial ambient light 0.8 in band 0
    colour = sh_shade(torch.full((1, 1, 3), 0.5), n, torch.zeros(1, 27))
    assert torch.allclose(colour, torch.full((1, 1, 3), 0.5 * 0.8 * a0c0), atol=1e-6)


def test_deep3d_pseudo_3dmm_from_coefficients():
    """Released input path on the synthetic 3DMM (albedo 180/255) with injected coefficients: neutral
    lighting gives the hand-computed grey; the expression comes from the driving row only."""
    from talkbench.models.components.morphable import synthetic_morphable_model
    from talkbench.models.goha.inputs import Deep3DInputs

    model = synthetic_morphable_model()
    inputs = Deep3DInputs(model, torch.zeros(1, 3, 512, 512))
    zero = torch.zeros(1, 257, dtype=torch.float64)
    img = inputs.render(zero, zero, zero, 224)
    covered = img[0, 0] > -1
    assert 0.05 < covered.float().mean() < 0.95
    grey = 0.8 * math.pi / math.sqrt(4 * math.pi) * 180 / 255
    # the hemisphere faces the camera: at the image centre the normal is +z, so the light is the ambient term
    # plus band 2 (z) and band 6 (z²) with zero coefficients -> just the ambient grey
    assert abs(img[0, 0, 112, 112].item() - (2 * grey - 1)) < 1e-3
    assert torch.allclose(img[0, :, 112, 112], img[0, 0, 112, 112].expand(3))
    drv = zero.clone()
    drv[0, 80:144] = 30.0  # a large expression: the silhouette changes
    other = inputs.render(zero, drv, zero, 224)
    assert not torch.equal(other > -1, img > -1)
    ident = zero.clone()
    ident[0, 80:144] = 30.0  # expression in the *identity* row is ignored
    assert torch.equal(inputs.render(ident, zero, zero, 224), img)
