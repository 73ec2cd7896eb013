"""Face metrics: hand-computed formula fixtures, real-photo invariances, dlib identity ranking,
missing faces and missing weights."""
from __future__ import annotations

import numpy as np
import pytest

from talkbench.errors import MissingWeightsError
from talkbench.faces import align
from talkbench.analysis.stage import FrameAnalysis
from talkbench.metrics import coeff_distance as cd
from talkbench.metrics import landmark_distance as ld
from talkbench.io.frameset import FrameSet
from talkbench.metrics.context import ItemContext
from talkbench.metrics.offline import OFFLINE_BACKBONES
from talkbench.metrics.registry import REGISTRY, get_metric

from .face_images import astronaut, insightface_image


# -- formulas on synthetic arrays (hand-computed) ------------------------------------------------
def test_aed_is_mean_abs_over_the_64_expression_coefficients():
    a, b = np.zeros(257), np.zeros(257)
    b[80:144] = 0.5
    b[80] = 2.5  # one coefficient off by 2.5, 63 off by 0.5: (2.5 + 63·0.5) / 64 = 34 / 64
    b[0:80] = 9.0  # identity, texture, pose must not count
    b[144:257] = 9.0
    assert cd.expression_distance(a, b) == pytest.approx(34 / 64)


def test_apd_angles_only_and_with_translation():
    a, b = np.zeros(257), np.zeros(257)
    b[224:227] = [0.1, -0.2, 0.3]
    b[254:257] = [1.0, 2.0, -3.0]
    assert cd.pose_distance(a, b) == pytest.approx(0.6 / 3)
    assert cd.pose_distance(a, b, include_translation=True) == pytest.approx((0.6 + 6.0) / 6)


def test_akd_abs_coordinate_and_euclidean():
    a = np.zeros((68, 2))
    b = np.zeros((68, 2))
    b[0] = [3.0, 4.0]  # one point moved by (3, 4)
    assert ld.mean_abs_coordinate_diff(a, b) == pytest.approx(7 / 136)
    assert ld.mean_point_distance(a, b) == pytest.approx(5 / 68)
    # resolution scaling: a 512×384 frame mapped to 256×256 halves x and multiplies y by 2/3
    np.testing.assert_allclose(ld.rescale_points(np.array([[100.0, 90.0]]), (384, 512, 3), 256), [[50.0, 60.0]])


def test_lmd_centres_each_mouth_then_averages_point_distances():
    rng = np.random.default_rng(0)
    gt = rng.uniform(0, 100, (68, 2))
    shifted = gt + [7.0, -3.0]  # pure translation: LMD 0
    m = get_metric("lmd_mediapipe")
    frame = np.zeros((100, 100, 3), np.uint8)
    assert m.pair_value({"points": shifted}, {"points": gt}, frame, frame) == pytest.approx(0.0, abs=1e-12)
    moved = gt.copy()
    moved[48] += [0.0, 20.0]  # one mouth point down by 20: centroid moves 1, so
    # that point is off by 19, the other 19 mouth points by 1  ->  (19 + 19·1) / 20 = 1.9
    assert m.pair_value({"points": moved}, {"points": gt}, frame, frame) == pytest.approx(1.9)
    moved_jaw = gt.copy()
    moved_jaw[0:17] += 50.0  # outside the mouth: no effect
    assert m.pair_value({"points": moved_jaw}, {"points": gt}, frame, frame) == pytest.approx(0.0, abs=1e-12)


def test_csim_cosine():
    m = get_metric("csim_dlib")
    f = np.zeros((4, 4, 3), np.uint8)
    assert m.pair_value({"embedding": np.array([1.0, 0.0])}, {"embedding": np.array([1.0, 1.0])}, f, f) == pytest.approx(2 ** -0.5)


# -- registry, cards, offline mapping -----------------------------------------------------------
def test_every_face_metric_has_its_own_backbone_column():
    names = ["csim", "csim_antelopev2", "csim_iresnet100", "csim_irse50", "csim_dlib", "aed", "aed_mediapipe",
             "apd", "apd_mediapipe", "akd", "akd_mediapipe", "akd_dlib", "lmd", "lmd_mediapipe", "lmd_dlib"]
    cards = {n: REGISTRY.card(n) for n in names}
    for family in ("csim", "aed", "apd", "akd", "lmd"):
        ids = [c.backbone.id for n, c in cards.items() if n.split("_")[0] == family]
        assert len(ids) == len(set(ids)), f"{family}: two registered names share a backbone"
    assert cards["akd"].options["resolution"] == 256 and cards["akd"].options["distance"] == "abs-coordinate"
    assert cards["apd"].options["include_translation"] is False
    assert cards["csim"].backbone.weights_file == "buffalo_l"
    assert cards["csim_dlib"].backbone.weights_sha256 and "dlib" in cards["csim_dlib"].backbone.id
    for official, offline in OFFLINE_BACKBONES.items():
        assert offline in REGISTRY.names() and REGISTRY.card(offline).backbone.id != REGISTRY.card(official).backbone.id


def test_invalid_options_are_rejected():
    with pytest.raises(ValueError):
        get_metric("akd", distance="l7")
    with pytest.raises(ValueError):
        get_metric("apd", backbone="x")
    with pytest.raises(ValueError):
        REGISTRY.create("apd_mediapipe", include_translation=True)
    with pytest.raises(ValueError):
        get_metric("akd", pair="source-vs-generated")


# -- missing weights / missing faces ------------------------------------------------------------
def test_csim_without_buffalo_l_names_the_file_and_the_import_command(tmp_path, monkeypatch):
    monkeypatch.setenv("TALKBENCH_INSIGHTFACE_ROOT", str(tmp_path / "no_insightface"))
    m = get_metric("csim")
    m.use_analysis(FrameAnalysis(tmp_path / "cache"))
    with pytest.raises(MissingWeightsError) as err:
        m.update([astronaut()], [astronaut()])
    msg = str(err.value)
    assert "w600k_r50.onnx" in msg and "talkbench weights import" in msg


def test_aed_without_deep3d_weights_raises(tmp_path, monkeypatch):
    monkeypatch.setenv("TALKBENCH_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    m = get_metric("aed")
    m.use_analysis(FrameAnalysis(None))
    with pytest.raises(MissingWeightsError, match="epoch_20.pth"):
        m.update([astronaut()], [astronaut()])


def test_blank_generated_frame_is_missing_never_zero(tmp_path):
    img = astronaut()
    blank = np.zeros_like(img)
    m = get_metric("akd_mediapipe")
    m.use_analysis(FrameAnalysis(tmp_path))
    ctx = ItemContext("item", pred=FrameSet([img, blank], ["f0", "f1"]), gt=FrameSet([img, img]))
    score = m.update_item(ctx)
    assert score.n_frames == 1 and score.value == pytest.approx(0.0, abs=1e-9)
    assert score.missing_frames[0][0] == "f1" and "no face detected" in score.missing_frames[0][1]
    all_blank = get_metric("akd_mediapipe")
    all_blank.use_analysis(FrameAnalysis(tmp_path))
    s2 = all_blank.update_item(ItemContext("b", pred=FrameSet([blank]), gt=FrameSet([img])))
    assert s2.value is None and s2.n_frames == 0 and all_blank.compute().value is None


# -- invariances on real photographs -------------------------------------------------------------
def test_similarity_warped_copy_keeps_akd_near_zero_after_alignment(tmp_path):
    """Rotate/scale/shift the photo, align both copies to the same 256 ArcFace crop: AKD ≈ 0."""
    from talkbench.faces.detection import get_detector

    img = astronaut()
    theta = np.radians(12.0)
    m = np.array([[0.85 * np.cos(theta), -0.85 * np.sin(theta), 110.0], [0.85 * np.sin(theta), 0.85 * np.cos(theta), 30.0]])
    warped = align.warp_affine(img, m, 512)
    det = get_detector("mediapipe")
    crops = [align.arcface_crop(x, det.detect([x])[0][0].points5, 224)[0] for x in (img, warped)]
    metric = get_metric("akd_mediapipe")
    metric.use_analysis(FrameAnalysis(tmp_path))
    aligned = metric.update([crops[1]], [crops[0]])
    raw = metric.update([warped], [img])
    assert aligned[0] < 1.5, aligned  # px at 256 (mesh jitter under resampling)
    assert raw[0] > 10 * aligned[0], raw  # without alignment the same faces are far apart


def test_apd_mediapipe_of_a_mirrored_photo_is_twice_the_yaw_and_roll(tmp_path):
    img = astronaut()
    flipped = np.ascontiguousarray(img[:, ::-1])
    fa = FrameAnalysis(tmp_path)
    pose = fa.run("pose:mediapipe-mesh", [img])[0]["angles"]
    m = get_metric("apd_mediapipe")
    m.use_analysis(fa)
    value = m.update([flipped], [img])[0]
    assert value == pytest.approx((2 * abs(pose[1]) + 2 * abs(pose[2])) / 3, abs=np.radians(2.0))
    assert get_metric("aed_mediapipe").pair_value(
        {"canonical_mesh": np.ones((478, 3))}, {"canonical_mesh": np.ones((478, 3))}, img, img) == 0.0


def test_csim_dlib_ranks_each_mirrored_face_above_every_other_person(tmp_path):
    """Issue acceptance: on t1.jpg's six faces, CSIM[dlib-resnet] of a face and its mirrored copy
    beats that face against every other person."""
    pytest.importorskip("dlib", reason="the dlib extra is not installed")
    from talkbench.faces.detection import get_detector
    from talkbench.faces.mesh import square_crop

    img = insightface_image("t1.jpg")
    faces = get_detector("dlib-hog").detect([img])[0]
    assert len(faces) == 6
    crops = [square_crop(img, f, 1.8)[0] for f in faces]
    mirrors = [np.ascontiguousarray(c[:, ::-1]) for c in crops]
    m = get_metric("csim_dlib", pair="source-vs-generated")
    fa = FrameAnalysis(tmp_path)
    m.use_analysis(fa)
    sim = np.array([m.update([mirrors[i]] * 6, crops)[:] for i in range(6)])  # sim[i, j] = csim(mirror_i, face_j)
    assert sim.shape == (6, 6)
    for i in range(6):
        others = np.delete(sim[i], i)
        assert sim[i, i] > others.max(), (i, sim[i])
    # dlib's own descriptor distance (Euclidean; 0.6 is its same-person threshold)
    emb = [r["embedding"] for r in fa.run("identity:dlib-resnet", crops)]
    emb_m = [r["embedding"] for r in fa.run("identity:dlib-resnet", mirrors)]
    dist = np.array([[np.linalg.norm(a - b) for b in emb] for a in emb_m])
    assert np.diag(dist).max() < 0.35, np.diag(dist)
    assert np.delete(dist.ravel(), np.arange(0, 36, 7)).min() > 0.55
