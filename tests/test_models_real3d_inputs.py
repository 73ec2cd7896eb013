"""Real3D-Portrait real-input path (mediapipe segmentation + mesh-NCC driving, the documented 3DMM-free
substitution): segmentation split, mesh-NCC rendering against a direct projection, and the adapter end to end."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from talkbench.errors import InputError
from talkbench.models.components.pncc import vertex_pixels
from talkbench.models.real3d_portrait.config import Real3DPortraitConfig
from tests.face_images import astronaut

pytest.importorskip("mediapipe")
from talkbench.models.real3d_portrait.adapter import Real3DPortrait  # noqa: E402
from talkbench.models.real3d_portrait.real_inputs import (  # noqa: E402
    CHIN, CM_TO_MODEL_UNITS, SUBSTITUTION_NOTE, MeshNCC, MeshObserver, split_person)

SMALL = dict(num_samples_coarse=4, num_samples_fine=4, neural_rendering_resolution=16)


@pytest.fixture(scope="module")
def observation():
    torch.set_num_threads(1)
    return MeshObserver()(astronaut())


@pytest.fixture(scope="module")
def model():
    torch.set_num_threads(1)
    # image_size 256 and 16² neural rendering keep the CPU cost down; the SR still outputs 512²
    return Real3DPortrait(config=Real3DPortraitConfig(**SMALL), image_size=256, seed=3)


@pytest.fixture(scope="module")
def state(model):
    return model.prepare([astronaut()])


def test_split_person_channels():
    person = np.zeros((40, 30), dtype=bool)
    person[5:, 5:25] = True
    # a fake mesh: 468 points on a disc centred at (15, 15), radius 6, chin (index 152) at its bottom
    ang = np.linspace(0, 2 * np.pi, 478, endpoint=False)
    mesh = np.stack([15 + 6 * np.cos(ang), 15 + 6 * np.sin(ang), np.zeros_like(ang)], -1)
    mesh[CHIN] = (15, 21, 0)
    seg = split_person(person, mesh)
    assert seg.shape == (6, 40, 30) and (seg.sum(0) == 1).all()
    assert not seg[[1, 4, 5]].any()
    assert seg[3, 10, 10] and seg[3, 20, 15]  # person above the chin, and inside the face disc
    assert seg[2, 30, 10] and seg[2, 25, 6]   # person below the chin and off the face
    assert seg[0, 2, 2] and seg[0, 30, 27]    # not the person
    assert not seg[3, 2, 15]                  # above the person mask: background, not head


def test_mesh_ncc_matches_direct_projection(observation):
    canon = observation.canonical
    ncc = MeshNCC(canon)
    img = ncc.render([canon], 512)[0]
    assert img.shape == (3, 512, 512) and float(img.min()) >= -1 and float(img.max()) <= 1
    assert float(img[:, 0, 0].max()) == -1.0  # background
    px = vertex_pixels(canon[:468] * CM_TO_MODEL_UNITS, 512)
    for idx in (1, 4, 6, 9, 168):  # midline points that face the camera
        c, r = px[idx]
        colour = (img[:, int(r), int(c)] + 1) / 2
        assert torch.allclose(colour, ncc.code[idx], atol=0.03), idx
    # the code spans [0, 1] per axis over the source's face points
    assert torch.allclose(ncc.code.min(0).values, torch.zeros(3)) and torch.allclose(ncc.code.max(0).values, torch.ones(3))


def test_prepare_segments_and_encodes_the_source(model, state):
    assert state.segmap.shape == (1, 6, 64, 64) and torch.equal(state.segmap.sum(1), torch.ones(1, 64, 64))
    assert float(state.segmap[0, 3, 16, 27]) == 1.0  # the astronaut's face (around x=220, y=130 of 512)
    assert float(state.segmap[0, 0, 2, 62]) == 1.0   # top-right corner: background
    assert state.cano_planes.shape == (1, 3, 32, 128, 128)
    # background reference: KNN fill keeps true-background pixels and replaces the person's
    assert state.ref_bg.shape == (1, 3, 256, 256)
    assert torch.allclose(state.ref_bg[0, :, 5, 250], state.source[0, :, 5, 250], atol=1e-5)
    assert not torch.allclose(state.ref_bg[0, :, 65, 110], state.source[0, :, 65, 110], atol=0.05)
    # torso reference (upstream's inpainting at 512²): black (-1) on the upper head, the body as it is,
    # and the body's top colour smeared up behind the chin (within 53 px of 512 = 26 px here)
    assert torch.equal(state.ref_torso[0, :, 30, 110], -torch.ones(3))
    assert torch.allclose(state.ref_torso[0, :, 240, 110], state.source[0, :, 240, 110], atol=0.05)
    assert (state.ref_torso[0, :, 80, 110] > -0.9).all()  # 8 px above the split: smeared, not black


def test_driving_signal_and_one_frame(model, state):
    img = astronaut()
    tgt = model.driving_pncc(state, [img, np.ascontiguousarray(img[:, ::-1])])
    assert tgt.shape == (2, 3, 256, 256)
    assert torch.equal(tgt[:1], state.pncc_src)  # the source drives itself: target PNCC == source PNCC
    assert not torch.equal(tgt[0], tgt[1])       # the mirrored face's (pose-free) expression differs
    with torch.no_grad():
        p0 = model.network.secc_img2plane_backbone(torch.cat([state.pncc_cano, state.pncc_src, tgt[:1]], 1))
        p1 = model.network.secc_img2plane_backbone(torch.cat([state.pncc_cano, state.pncc_src, tgt[1:]], 1))
    assert not torch.allclose(p0, p1)
    frames = model.animate(state, driving=[img])  # no cameras: the frontal default camera
    assert len(frames) == 1 and frames[0].shape == (512, 512, 3) and frames[0].dtype == np.uint8
    assert model.config_dict()["real_inputs_note"] == SUBSTITUTION_NOTE
    assert "not the paper" in Real3DPortrait.info.config["real_inputs_note"]


def test_adapter_errors(model, state):
    with pytest.raises(InputError):
        model.animate(state, driving=[np.zeros((64, 64, 3), dtype=np.uint8)])
    with pytest.raises(InputError):
        model.prepare([np.full((64, 64, 3), 128, dtype=np.uint8)])
    model.real_inputs = False
    try:
        with pytest.raises(InputError, match="real_inputs=True"):
            model.animate(state, driving=[astronaut()])
    finally:
        model.real_inputs = True
