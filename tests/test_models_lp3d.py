"""LP3D: built out of a Real3D-Portrait checkpoint it carries exactly that checkpoint's image-to-plane,
decoder and EG3D SR tensors; its own container round-trips; cameras are brought into the EG3D frame."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from talkbench.errors import InputError
from talkbench.models.base import Camera
from talkbench.models.lp3d.adapter import LP3D
from talkbench.models.lp3d.checkpoint import REAL3D_PREFIXES
from talkbench.models.lp3d.network import camera_tensors
from talkbench.models.real3d_portrait.adapter import Real3DPortrait
from talkbench.models.real3d_portrait.checkpoint import load_release, save_release_container
from talkbench.models.real3d_portrait.img2plane import Img2PlaneModel
from talkbench.models.registry import get_model_class

from tests.checkpoint_manifests import MANIFEST_DIR


@pytest.fixture(autouse=True)
def _threads():
    torch.set_num_threads(1)


def test_lp3d_from_a_random_real3d_checkpoint_carries_its_weights(tmp_path):
    path = Real3DPortrait.write_random_checkpoint(tmp_path / "model_ckpt_steps_1.ckpt", seed=3)
    real3d, _ = load_release(path)
    model = LP3D(checkpoint=str(path), neural_rendering_resolution=16, num_samples=4)
    ours = model.network.state_dict()
    assert len(ours) > 400
    for key, tensor in ours.items():
        prefix = next(p for p in REAL3D_PREFIXES if key.startswith(p))
        source = REAL3D_PREFIXES[prefix] + key[len(prefix):]
        assert torch.equal(tensor, real3d[source]), key
    # the lifting network IS Real3D-Portrait's module, not a copy
    assert type(model.network.img2plane) is Img2PlaneModel
    n = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    assert n(model.network.img2plane) == 87_332_960 and n(model.network.decoder) == 4_257
    assert n(model.network.superresolution) == 1_649_578  # EG3D SuperresolutionHybrid8XDC [measured, seed-models §1.5]
    assert any("Real3D-Portrait's image-to-plane" in note for note in model.comparability_notes())
    frame = (np.random.default_rng(0).random((64, 64, 3)) * 255).astype(np.uint8)
    out = model.render(model.reconstruct(frame), [Camera(np.eye(4), np.eye(3), "real3d")])
    assert out[0].shape == (64, 64, 3) and out[0].dtype == np.uint8


def test_sr_blocks_and_decoder_follow_the_eg3d_manifest():
    ref = json.loads((MANIFEST_DIR / "eg3d_ffhq512-128_decoder_superresolution.json").read_text())["state_dict"]
    with torch.device("meta"):
        from talkbench.models.lp3d.config import preset
        from talkbench.models.lp3d.network import LP3DNetwork

        net = LP3DNetwork(preset("real3d"))
    ours = {k: list(v.shape) for k, v in net.state_dict().items() if k.startswith(("superresolution.", "decoder."))}
    assert ours == ref


def test_own_container_round_trip_and_unknown_layouts_refused(tmp_path):
    path = LP3D.write_random_checkpoint(tmp_path / "lp3d.ckpt", seed=1, preset="tiny")
    a, b = LP3D(checkpoint=str(path)), LP3D(checkpoint=str(path))
    assert a.config.image_size == 64 and a.config.widths.batch_norm is False
    for (k, x), (_, y) in zip(a.network.state_dict().items(), b.network.state_dict().items()):
        assert torch.equal(x, y), k
    assert not any(k.endswith("running_mean") for k in a.network.state_dict())  # LP3D's encoder has no BatchNorm
    frame = (np.random.default_rng(0).random((48, 48, 3)) * 255).astype(np.uint8)
    cam = Camera(np.eye(4), np.eye(3))
    cam.cam2world[2, 3] = -3.6
    cam.intrinsics[:2, :2] *= 2.6
    ra, rb = a.render(a.reconstruct(frame), [cam]), b.render(b.reconstruct(frame), [cam])
    assert ra[0].shape == (48, 48, 3) and np.array_equal(ra[0], rb[0])  # seeded sampling: deterministic
    assert any("random initialisation" in n for n in a.comparability_notes())
    other = save_release_container({"encoder.weight": torch.zeros(1)}, tmp_path / "encoder_render.pt")
    with pytest.raises(InputError, match="Live3DPortrait"):
        LP3D(checkpoint=str(other))


def test_dataset_cameras_are_rescaled_to_the_eg3d_radius_and_eg3d_cameras_kept():
    m = np.eye(4)
    m[:3, 3] = [0.0, 1.2, -3.4]
    c2w, ks = camera_tensors([Camera(m, np.eye(3), "opencv"), Camera(m, np.eye(3), "real3d")], 2.7)
    assert float(torch.linalg.norm(c2w[0, :3, 3])) == pytest.approx(2.7, rel=1e-6)
    assert torch.allclose(c2w[0, :3, 3] / c2w[0, :3, 3].norm(), torch.tensor(m[:3, 3] / np.linalg.norm(m[:3, 3]), dtype=torch.float32))
    assert torch.equal(c2w[0, :3, :3], torch.eye(3)) and torch.equal(c2w[1], torch.tensor(m, dtype=torch.float32))


def test_registered_with_parameter_table():
    cls = get_model_class("lp3d")
    table = {r["module"]: r["parameters"] for r in cls.parameter_table()}
    assert table["lp3d.img2plane"] == 87_332_960 and table["lp3d.decoder"] == 4_257
    assert table["lp3d"] == 87_332_960 + 4_257 + 1_649_578
