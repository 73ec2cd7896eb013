"""Real3D-Portrait pre-processing: the 3DMM landmark fit, driving pose -> cameras (mirror index, trans_z,
map_to_init_pose, smoothing), mesh pose -> Deep3D pose, torso keypoints, the 6-class segmenter's file
handling, and both pre-processing paths end to end."""
from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
import torch

from talkbench.errors import InputError, MissingWeightsError
from talkbench.faces.pose import CANONICAL_RIGID, RIGID_INDICES
from talkbench.geometry import rotation_from_euler
from talkbench.models.base import Camera
from talkbench.models.components import landmark_fit as lf
from talkbench.models.components.cameras import camera_from_3dmm, normalized_intrinsics, pose_from_camera
from talkbench.models.components.morphable import MorphableModel, synthetic_morphable_model
from talkbench.models.real3d_portrait import driving_pose as dp
from talkbench.models.real3d_portrait import segmentation as segm

QUICK = lf.LandmarkFitConfig(pose_iters=60, joint_iters=60)


@pytest.fixture(scope="module")
def synthetic():
    torch.set_num_threads(1)
    model = synthetic_morphable_model()
    index = lf.synthetic_keypoint_index(model)
    return model, index, lf.KeypointBasis(model, index)


def _project(basis, id_c, exp, euler, trans) -> np.ndarray:
    t = lambda a: torch.as_tensor(np.atleast_2d(a), dtype=torch.float32)  # noqa: E731
    return basis.project(t(id_c).expand(len(np.atleast_2d(exp)), -1), t(exp), t(euler), t(trans)).numpy()


# -- landmark fit ----------------------------------------------------------------------------------
def test_fit_space_flips_y_and_scales_to_224():
    pts = np.array([[0.0, 0.0], [256.0, 128.0], [512.0, 512.0]])
    np.testing.assert_allclose(lf.landmarks_to_fit_space(pts, 512, 512), [[0, 224], [112, 168], [224, 0]])
    np.testing.assert_allclose(lf.landmarks_to_fit_space(np.array([[50.0, 25.0, 7.0]]), 100, 50), [[112, 112]])


def test_point_weights_follow_the_released_fit():
    w = lf.mediapipe_point_weights()
    assert w.shape == (468,) and w[33] == 5 and w[263] == 5 and w[13] == 2 and w[61] == 2 and w[1] == 1
    assert (w[list(lf.MP_UNMATCHED_CONTOUR)] == 0).all() and (w == 0).sum() == 8


def test_projection_is_deep3d_pinhole():
    pts = torch.tensor([[[0.0, 0.0, 0.0], [1.0, -0.5, 2.0]]], dtype=torch.float64)
    zero = torch.zeros(1, 3, dtype=torch.float64)
    uv = lf.project_deep3d(pts, zero, torch.tensor([[0.0, 0.0, 1.0]], dtype=torch.float64))[0].numpy()
    # origin moved to z = 1 -> depth 9 at the centre; (1, -0.5, 3) -> depth 7
    np.testing.assert_allclose(uv, [[112, 112], [112 + 1015 / 7, 112 - 0.5 * 1015 / 7]], atol=1e-9)
    yaw = torch.tensor([[0.0, math.pi / 2, 0.0]], dtype=torch.float64)  # p·R with R = Ry(90°)ᵀ: (0,0,1) -> (1,0,0)
    uv = lf.project_deep3d(torch.tensor([[[0.0, 0.0, 1.0]]], dtype=torch.float64), yaw, zero)[0, 0].numpy()
    np.testing.assert_allclose(uv, [112 + 1015 / 10, 112], atol=1e-9)


def test_image_fit_reproduces_landmarks_and_recovers_pose(synthetic):
    model, index, basis = synthetic
    rng = np.random.default_rng(1)
    id_c, exp = rng.normal(0, 0.5, 80), rng.normal(0, 0.5, (1, 64))
    euler, trans = np.array([0.1, -0.25, 0.05]), np.array([0.05, -0.1, -0.3])
    clean = _project(basis, id_c, exp, euler, trans)[0]
    assert clean.min() > 0 and clean.max() < 224  # inside the 224 crop
    fit = lf.fit_landmarks(basis, clean + rng.normal(0, 0.05, clean.shape))
    assert fit.rms_px < 0.1 and len(fit) == 1
    used = (index >= 0) & (lf.mediapipe_point_weights() > 0)
    err = np.linalg.norm(_project(basis, fit.id, fit.exp, fit.euler, fit.trans)[0] - clean, axis=-1)[used]
    assert err.max() < 0.3  # sub-pixel at the 224 crop
    np.testing.assert_allclose(fit.euler[0], euler, atol=2e-3)
    np.testing.assert_allclose(fit.trans[0], trans, atol=5e-3)


def test_zero_weight_points_do_not_matter_and_fit_is_deterministic(synthetic):
    model, index, basis = synthetic
    rng = np.random.default_rng(2)
    clean = _project(basis, rng.normal(0, 0.3, 80), rng.normal(0, 0.3, (1, 64)), [0.05, 0.2, 0.0], [0, 0, 0.5])[0]
    a = lf.fit_landmarks(basis, clean, config=QUICK)
    b = lf.fit_landmarks(basis, clean, config=QUICK)
    contour = clean.copy()
    contour[list(lf.MP_UNMATCHED_CONTOUR)] += rng.normal(0, 40, (8, 2))  # weight 0 in the released fit
    c = lf.fit_landmarks(basis, contour, config=QUICK)
    basis_7 = lf.KeypointBasis(model, np.where(np.arange(468) == 7, -1, index))  # point 7 unmatched
    moved_7 = clean.copy()
    moved_7[7] += (30.0, -25.0)
    e, f = lf.fit_landmarks(basis_7, clean, config=QUICK), lf.fit_landmarks(basis_7, moved_7, config=QUICK)
    d = lf.fit_landmarks(basis, moved_7, config=QUICK)  # while matched, point 7 (an eye point, weight 5) matters
    for x, y in ((b, a), (c, a), (f, e)):
        for key in ("id", "exp", "euler", "trans"):
            np.testing.assert_array_equal(getattr(x, key), getattr(y, key))
    assert not np.allclose(d.euler, a.euler, atol=1e-6)


def test_video_fit_shares_identity_and_recovers_per_frame_pose(synthetic):
    model, index, basis = synthetic
    rng = np.random.default_rng(3)
    id_c, exp = rng.normal(0, 0.5, 80), rng.normal(0, 0.5, (3, 64))
    euler = np.array([[0.0, -0.2, 0.0], [0.05, 0.0, 0.02], [0.1, 0.2, -0.03]])
    trans = np.array([[0.0, 0.0, 0.2], [0.05, 0.02, 0.2], [0.1, 0.0, 0.25]])
    targets = _project(basis, id_c, exp, euler, trans)
    fit = lf.fit_landmarks(basis, targets, config=lf.VIDEO_FIT)
    assert fit.id.shape == (80,) and fit.exp.shape == (3, 64) and fit.euler.shape == (3, 3)
    assert fit.rms_px < 0.5
    np.testing.assert_allclose(fit.euler, euler, atol=5e-3)
    np.testing.assert_allclose(fit.trans, trans, atol=2e-2)


def test_keypoint_index_file_checks(tmp_path, synthetic):
    model, index, _ = synthetic
    with pytest.raises(InputError):
        lf.load_keypoint_index(tmp_path / "missing.npy", model.n_vertices)
    np.save(tmp_path / "bad.npy", np.arange(10))
    with pytest.raises(InputError):
        lf.load_keypoint_index(tmp_path / "bad.npy", model.n_vertices)
    np.save(tmp_path / "ok.npy", index)
    np.testing.assert_array_equal(lf.load_keypoint_index(tmp_path / "ok.npy", model.n_vertices), index)


# -- driving pose ----------------------------------------------------------------------------------
def test_mirror_index_walks_forward_and_back():
    assert [dp.mirror_index(i, 3) for i in range(8)] == [0, 1, 2, 2, 1, 0, 0, 1]


def test_pose_sequence_fixes_trans_z_then_maps_to_the_source_pose():
    drv_e = [[0.0, 0.0, 0.0], [0.05, 0.0, 0.0], [0.1, 0.0, 0.0]]
    drv_t = [[0.0, 0.0, 1.0], [1.0, 0.0, 2.0], [2.0, 0.0, 3.0]]
    e, t = dp.driving_pose_sequence([0.1, 0.2, 0.3], [0.5, 0.5, 0.5], drv_e, drv_t, 4)
    np.testing.assert_allclose(e, [[0.1, 0.2, 0.3], [0.15, 0.2, 0.3], [0.2, 0.2, 0.3], [0.2, 0.2, 0.3]], atol=1e-12)
    np.testing.assert_allclose(t, [[0.5, 0.5, 0.5], [1.5, 0.5, 0.5], [2.5, 0.5, 0.5], [2.5, 0.5, 0.5]], atol=1e-12)
    e, t = dp.driving_pose_sequence([0.1, 0.2, 0.3], [0.5, 0.5, 0.5], drv_e, drv_t, 2, map_to_init=False)
    np.testing.assert_allclose(t, [[0.0, 0.0, 1.0], [1.0, 0.0, 1.0]])


def test_smooth_sequence_box_filter_with_mirrored_ends():
    x = np.arange(10, dtype=float)[:, None] * np.array([[1.0, -2.0]])
    s = dp.smooth_sequence(x, 7)
    np.testing.assert_allclose(s[:, 0], [9 / 7, 11 / 7, 15 / 7, 3, 4, 5, 6, 48 / 7, 52 / 7, 54 / 7])
    np.testing.assert_allclose(s[:, 1], -2 * s[:, 0])


def _yaw_camera(angle: float, centre) -> Camera:
    c, s = math.cos(angle), math.sin(angle)
    pose = np.eye(4)
    pose[:3, :3] = [[c, 0, s], [0, 1, 0], [-s, 0, c]]
    pose[:3, 3] = centre
    return Camera(pose, normalized_intrinsics(), "real3d")


def test_camera_smoothing_window_mean_and_chordal_rotation_mean():
    angles = np.array([0.0, 0.1, 0.3, 0.2, -0.1, 0.4, 0.0, 0.5])
    cams = [_yaw_camera(a, [i, 2.0 * i, 1.0]) for i, a in enumerate(angles)]
    out = dp.smooth_cameras(cams, 7)
    for i, lo, hi in ((0, 0, 4), (3, 0, 7), (4, 1, 8), (7, 4, 8)):
        win = angles[lo:hi]
        expected = math.atan2(np.sin(win).sum(), np.cos(win).sum())  # chordal mean of coaxial rotations
        pose = out[i].cam2world
        assert math.atan2(pose[0, 2], pose[0, 0]) == pytest.approx(expected, abs=1e-9)
        np.testing.assert_allclose(pose[:3, 3], [np.mean(range(lo, hi)), 2 * np.mean(range(lo, hi)), 1.0])
        np.testing.assert_array_equal(out[i].intrinsics, cams[i].intrinsics)
    raw = dp.cameras_from_poses([[0.1, 0.2, 0.0]], [[0.0, 0.1, 0.3]], kernel=1)[0]
    np.testing.assert_array_equal(raw.cam2world, camera_from_3dmm([0.1, 0.2, 0.0], [0.0, 0.1, 0.3]).cam2world)


def _synthetic_mesh(yaw: float, scale: float, centre, roll: float = 0.0) -> np.ndarray:
    """A 478×3 mesh (frame pixels, y down, z negative towards the camera) of the canonical rigid points."""
    canon = np.zeros((478, 3))
    canon[RIGID_INDICES] = CANONICAL_RIGID
    pts = scale * canon @ rotation_from_euler(0.0, yaw, roll).T
    return pts * np.array([1.0, -1.0, -1.0]) + np.array([centre[0], centre[1], 0.0])


@pytest.mark.parametrize("yaw", [-0.4, 0.0, 0.3])
def test_mesh_pose_becomes_a_camera_with_the_same_yaw(yaw):
    mesh = _synthetic_mesh(yaw, scale=6.0, centre=(300.0, 200.0))
    euler, trans = dp.mesh_to_deep3d_pose(mesh, 640, 480)
    np.testing.assert_allclose(euler, [0.0, yaw, 0.0], atol=1e-9)
    back_euler, back_trans = pose_from_camera(camera_from_3dmm(euler, trans, recipe="real3d"))
    np.testing.assert_allclose(back_euler, [0.0, yaw, 0.0], atol=1e-9)
    np.testing.assert_allclose(back_trans, trans, atol=1e-9)
    # the canonical origin lands where the mesh has it; 1 cm (0.1 model units) spans `scale` pixels
    origin = dp.project_to_image(np.zeros((1, 1, 3)), euler, trans)[0, 0] * [640, 480]
    np.testing.assert_allclose(origin, [300, 200], atol=1e-9)
    if yaw == 0.0:
        step = dp.project_to_image(np.array([[[0.1, 0.0, 0.0]]]), euler, trans)[0, 0, 0] * 640 - 300
        assert step * 224 / 640 == pytest.approx(6.0 * 224 / math.sqrt(640 * 480), rel=1e-9)


def test_torso_keypoints_map_lm68_to_unit_square():
    lm = np.full((1, 68, 2), 0.5)
    lm[0, [0, 8, 16, 27]] = [[0.0, 0.0], [0.5, 0.5], [1.0, 0.25], [1.5, 0.5]]
    kp = dp.torso_keypoints(lm)
    assert kp.shape == (1, 4, 3) and kp.dtype == torch.float32
    np.testing.assert_allclose(kp[0].numpy(), [[-1, -1, 0], [0, 0, 0], [1, -0.5, 0], [1, 0, 0]])


# -- segmentation ----------------------------------------------------------------------------------
def test_six_class_masks():
    cat = np.array([[0, 1, 2], [3, 4, 5]])
    seg = segm.one_hot(cat)
    assert seg.shape == (6, 2, 3) and (seg.sum(0) == 1).all() and seg[4, 1, 1]
    np.testing.assert_array_equal(segm.head_mask(seg), [[False, True, False], [True, False, True]])
    np.testing.assert_array_equal(segm.torso_mask(seg), [[False, False, True], [False, True, False]])


def test_multiclass_segmenter_file_is_required(monkeypatch, tmp_path):
    pytest.importorskip("mediapipe")
    monkeypatch.setenv("TALKBENCH_HOME", str(tmp_path / "tb"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    with pytest.raises(MissingWeightsError, match="selfie_multiclass_256x256"):
        segm.MulticlassSegmenter()
    with pytest.raises(InputError, match="talkbench weights import"):
        segm.MulticlassSegmenter(tmp_path / "nowhere.tflite")


# -- both pre-processing paths on a real photo ------------------------------------------------------
mediapipe = pytest.importorskip("mediapipe")
from scipy.ndimage import rotate  # noqa: E402

from talkbench.models.real3d_portrait.adapter import Real3DPortrait  # noqa: E402
from talkbench.models.real3d_portrait.config import Real3DPortraitConfig  # noqa: E402
from talkbench.models.real3d_portrait.preprocess import OFFICIAL_NOTE, OfflinePreprocessor  # noqa: E402
from tests.face_images import astronaut  # noqa: E402

ROLL_DEG = 12.0


def _rolled(img: np.ndarray) -> np.ndarray:
    """The photo turned in the image plane (counter-clockwise as displayed) about its centre."""
    return np.ascontiguousarray(rotate(img, ROLL_DEG, reshape=False, order=1, mode="nearest"))


@pytest.fixture(scope="module")
def photos():
    img = astronaut()
    return img, _rolled(img)


def test_offline_driving_transfers_head_pose_and_torso_keypoints(photos):
    img, turned = photos
    prep = OfflinePreprocessor()
    src = prep.source(img, 64)
    assert src.kp.shape == (1, 4, 3) and float(src.kp.abs().max()) < 1 and float(src.kp[..., 2].abs().max()) == 0
    drv = prep.driving(src, [img] * 4 + [turned] * 4, 64)
    assert drv.pncc.shape == (8, 3, 64, 64) and drv.kp.shape == (8, 4, 3) and len(drv.cameras) == 8
    # frame 0 (and its whole smoothing window) is the source itself: the source's pose and keypoints
    np.testing.assert_allclose(drv.cameras[0].cam2world, camera_from_3dmm(src.euler, src.trans).cam2world, atol=1e-9)
    np.testing.assert_allclose(drv.kp[0].numpy(), src.kp[0].numpy(), atol=1e-6)
    # the last window is all turned frames: the camera rolls by the turn, the torso keypoints follow the head
    roll = pose_from_camera(drv.cameras[-1])[0][2] - pose_from_camera(drv.cameras[0])[0][2]
    assert math.degrees(roll) == pytest.approx(ROLL_DEG, abs=1.5)
    assert float((drv.kp[-1] - drv.kp[0]).abs().max()) > 0.02


def _fake_segmenter(frame: np.ndarray) -> np.ndarray:
    """Stands in for the 6-class tflite file (not in the mediapipe wheel): face box, clothes below, bg."""
    cat = np.zeros((512, 512), dtype=np.int64)
    cat[40:230, 140:300] = 3
    cat[20:40, 140:300] = 1
    cat[230:, 60:420] = 4
    return (cat[None] == np.arange(6)[:, None, None])


class _FakeSegmenterClass:
    def __init__(self, path=None):
        self.path = path

    def __call__(self, frame):
        return _fake_segmenter(frame)


@pytest.fixture(scope="module")
def bfm_dir(tmp_path_factory):
    """The synthetic 3DMM in Deep3DFaceRecon's .mat layout, with 68 keypoints and a mediapipe index beside it."""
    folder = tmp_path_factory.mktemp("bfm")
    model = synthetic_morphable_model()
    model = replace(model, keypoints=np.random.default_rng(5).integers(0, model.n_vertices, 68))
    model.to_mat(folder / "BFM_model_front.mat")
    # index: each mesh point on the hemisphere vertex nearest to it in the photo's frontal (pose-free) layout
    from talkbench.models.real3d_portrait.real_inputs import CM_TO_MODEL_UNITS, MeshObserver

    layout = MeshObserver()(astronaut()).canonical[:468, :2] * CM_TO_MODEL_UNITS
    layout -= layout.mean(axis=0)
    dist = np.linalg.norm(layout[:, None] - model.mean_shape[None, :, :2], axis=-1)
    index = dist.argmin(axis=1)
    index[list(lf.MP_UNMATCHED_CONTOUR)] = -1
    np.save(folder / "index_mp468_from_mesh35709.npy", index)
    return folder


def test_official_preprocessing_needs_its_files(bfm_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("TALKBENCH_HOME", str(tmp_path / "tb"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    with pytest.raises(InputError, match="Basel Face Model"):
        Real3DPortrait(preprocess="official")
    with pytest.raises(InputError, match="BFM file not found"):
        Real3DPortrait(preprocess="official", bfm=str(tmp_path / "BFM_model_front.mat"))
    with pytest.raises(InputError, match="keypoint index"):
        Real3DPortrait(preprocess="official", bfm=str(bfm_dir / "BFM_model_front.mat"), bfm_index=str(tmp_path / "x.npy"))
    with pytest.raises(MissingWeightsError, match="selfie_multiclass_256x256"):
        Real3DPortrait(preprocess="official", bfm=str(bfm_dir / "BFM_model_front.mat"))
    with pytest.raises(ValueError, match="preprocess"):
        Real3DPortrait(preprocess="3ddfa")


def test_official_preprocessing_end_to_end(bfm_dir, photos, monkeypatch):
    torch.set_num_threads(1)
    monkeypatch.setattr(segm, "MulticlassSegmenter", _FakeSegmenterClass)
    model = Real3DPortrait(config=Real3DPortraitConfig(num_samples_coarse=4, num_samples_fine=4,
                                                       neural_rendering_resolution=16),
                           image_size=256, seed=3, preprocess="official", bfm=str(bfm_dir / "BFM_model_front.mat"))
    assert model.morphable.name == "BFM_model_front" and model.morphable.keypoints is not None
    cfg = model.config_dict()
    assert cfg["preprocess"] == "official" and cfg["real_inputs_note"] == OFFICIAL_NOTE
    opts = cfg["preprocess_options"]
    assert opts["map_to_init_pose"] is True and opts["video_fit"]["lambda_lap"] == 1.0 and opts["bfm"] == "BFM_model_front"
    assert any(OFFICIAL_NOTE in n for n in model.comparability_notes())
    img, turned = photos
    state = model.prepare([img])
    fit = state.prep.identity
    assert state.id_coeff.shape == (80,) and fit.exp.shape == (1, 64) and fit.rms_px < 8  # a hemisphere, not a face
    # PNCC: cano = (id, exp 0) and src = (id, fitted exp), both the 3DMM's own rendering at the canonical pose
    from talkbench.models.components.pncc import render_pncc
    assert torch.allclose(state.pncc_cano, render_pncc(model.morphable, fit.id, np.zeros((1, 64)), 256))
    assert torch.allclose(state.pncc_src, render_pncc(model.morphable, fit.id, fit.exp, 256))
    assert not torch.allclose(state.pncc_cano, state.pncc_src)
    # segmentation: head = hair + face_skin + others went to the I2P, torso = body_skin + clothes to the torso branch
    assert float(state.segmap[0, 3, 20, 27]) == 1.0 and float(state.segmap[0, 4, 60, 30]) == 1.0
    assert torch.equal(state.ref_torso[0, :, 60, 110], -torch.ones(3))  # the face (row 120, col 220 of 512)
    assert not torch.equal(state.ref_torso[0, :, 200, 60], -torch.ones(3))  # clothes
    # the driving frames' fitted poses become the cameras and torso keypoints the network sees
    seen = []

    def record(planes, label, torso, bg, seg, kp_s, kp_d, generator=None):
        seen.append((label.clone(), kp_s.clone(), kp_d.clone()))
        return {"image": torch.zeros(1, 3, 512, 512)}

    monkeypatch.setattr(model.network, "synthesize", record)
    frames = model.animate(state, driving=[img, img, img, turned, turned])
    assert len(frames) == 5 and frames[0].shape == img.shape
    drv = model.driving_inputs(state, [img, img, img, turned, turned])
    for (label, kp_s, kp_d), cam, kp in zip(seen, drv.cameras, drv.kp):
        np.testing.assert_allclose(label[0, :16].numpy(), cam.cam2world.reshape(-1), atol=1e-6)
        assert torch.equal(kp_s, state.prep.kp) and torch.allclose(kp_d[0], kp)
    assert not np.allclose(drv.cameras[0].cam2world, drv.cameras[4].cam2world, atol=1e-3)
    np.testing.assert_allclose(drv.euler[0], state.prep.euler, atol=1e-12)  # mapped onto the source pose
    monkeypatch.undo()
    # and one real frame through the whole network
    out = model.animate(state, driving=[turned])
    assert len(out) == 1 and out[0].shape == img.shape and out[0].dtype == np.uint8 and out[0].std() > 0
