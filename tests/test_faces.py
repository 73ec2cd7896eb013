"""Face analysis layer on real photographs: detection, alignment, landmarks, pose, FrameAnalysis cache."""
from __future__ import annotations

import numpy as np
import pytest

from talkbench.faces import align
from talkbench.analysis.stage import FrameAnalysis
from talkbench.faces.detection import FaceBox, get_detector, non_max_suppression
from talkbench.faces.landmarks import MEDIAPIPE_TO_IBUG68, get_landmarker
from talkbench.faces.pose import mesh_pose
from talkbench.geometry import euler_from_rotation, rotation_from_euler

from .face_images import astronaut, insightface_image

pytest.importorskip("mediapipe", reason="mediapipe is the offline face backbone")


@pytest.fixture(scope="module")
def t1():
    return insightface_image("t1.jpg")


@pytest.fixture(scope="module")
def t1_faces(t1):
    return get_detector("mediapipe").detect([t1])[0]


def test_mediapipe_finds_the_six_people_in_t1(t1_faces):
    assert len(t1_faces) == 6
    areas = [f.area for f in t1_faces]
    assert areas == sorted(areas, reverse=True)  # largest first
    centres = sorted(f.center[0] for f in t1_faces)
    assert min(np.diff(centres)) > 50  # six distinct people, no duplicate boxes
    assert all(f.points5 is not None and f.points5.shape == (5, 2) for f in t1_faces)
    for f in t1_faces:  # the five points lie inside their own box, eyes above the mouth
        p = f.points5
        assert np.all((p[:, 0] > f.x0) & (p[:, 0] < f.x1) & (p[:, 1] > f.y0) & (p[:, 1] < f.y1))
        assert p[:2, 1].max() < p[3:, 1].min()


def test_blank_frame_has_no_face():
    assert get_detector("mediapipe").detect([np.full((128, 128, 3), 127, np.uint8)]) == [[]]


def test_similarity_estimate_matches_skimage(rng):
    from skimage.transform import SimilarityTransform

    src = rng.uniform(0, 200, (5, 2))
    dst = src @ np.array([[0.8, -0.3], [0.3, 0.8]]).T + [12, -7] + rng.normal(0, 1.5, (5, 2))
    ref = SimilarityTransform.from_estimate(src, dst) if hasattr(SimilarityTransform, "from_estimate") else None
    if ref is None:
        ref = SimilarityTransform()
        ref.estimate(src, dst)
    np.testing.assert_allclose(align.estimate_similarity(src, dst), ref.params[:2], atol=1e-9)


def test_arcface_warp_puts_detected_points_on_the_template(t1):
    """Warp each face to the 224 ArcFace crop, detect again on the crop: the five points found there
    are within 1 px (in 112-template units) of where the warp put the original detections, and for
    frontal faces those points lie on the template (a similarity cannot fit a turned face exactly)."""
    det = get_detector("mediapipe")
    tmpl = align.arcface_template(224)
    frames = [astronaut(), insightface_image("Tom_Hanks_54745.png"), t1]
    checked = 0
    for frame in frames:
        for face in det.detect([frame])[0][:4]:
            crop, m = align.arcface_crop(frame, face.points5, 224)
            warped = align.apply_affine(m, face.points5)
            again = det.detect([crop])[0]
            assert again, "the aligned crop still shows a face"
            drift = np.linalg.norm(again[0].points5 - warped, axis=1) / 2.0  # 224 px -> 112-template px
            assert drift.max() < 3.0, drift  # even Matt's profile (yaw ≈ −50°)
            if np.linalg.norm(warped - tmpl, axis=1).mean() / 2.0 < 6.0:  # near-frontal faces
                assert drift.mean() < 1.0 and drift.max() < 1.5, drift
                checked += 1
    assert checked >= 4


def test_arcface_template_sizes():
    np.testing.assert_allclose(align.arcface_template(224), align.ARCFACE_TEMPLATE_112 * 2)
    np.testing.assert_allclose(align.arcface_template(128)[0], align.ARCFACE_TEMPLATE_112[0] + [8, 0])
    with pytest.raises(ValueError):
        align.arcface_template(100)


def test_deep3d_pos_alignment_centres_the_template(t1_faces, t1):
    face = get_detector("mediapipe").detect([astronaut()])[0][0]  # a frontal face
    crop, tr = align.deep3d_align(astronaut(), face.points5)
    assert crop.shape == (224, 224, 3)
    p = tr.to_crop(face.points5)
    # 102/s scaling: the eyes end up ~ 0.62·102 ≈ 63 px apart, centred horizontally in the crop
    eye_dist = np.linalg.norm(p[1] - p[0])
    assert 45 < eye_dist < 80
    assert abs(p[:, 0].mean() - 112) < 12


def test_fan_crop_matches_face_alignment_convention():
    m = align.fan_matrix((100, 100, 300, 300), 256)
    center, scale = align.fan_center_scale((100, 100, 300, 300))
    np.testing.assert_allclose(center, [200, 200 - 0.12 * 200])
    np.testing.assert_allclose(scale, 400 / 195)
    np.testing.assert_allclose(align.apply_affine(m, center[None]), [[128, 128]])
    np.testing.assert_allclose(m[0, 0], 256 / (200 * scale))


def test_mediapipe_68_agrees_with_dlib_68_on_frontal_faces():
    pytest.importorskip("dlib", reason="dlib extra not installed")
    img = astronaut()
    box = get_detector("mediapipe").detect([img])[0][0]
    ours = get_landmarker("mediapipe-68")(img, [box])[0]
    dboxes = get_detector("dlib-hog").detect([img])[0]
    ref = get_landmarker("dlib-68")(img, [dboxes[0]])[0]
    iod = np.linalg.norm(ref[36:42].mean(0) - ref[42:48].mean(0))
    err = np.linalg.norm(ours - ref, axis=1) / iod
    assert len(set(MEDIAPIPE_TO_IBUG68)) == 68
    assert err[36:48].mean() < 0.1 and err[48:68].mean() < 0.1 and err.mean() < 0.15


def test_euler_round_trip():
    ang = np.array([0.2, -0.4, 0.1])
    np.testing.assert_allclose(euler_from_rotation(rotation_from_euler(*ang)), ang, atol=1e-12)


@pytest.mark.parametrize("image", ["astronaut", "Tom_Hanks_54745.png", "t1.jpg"])
def test_mirrored_photo_gives_mirrored_pose(image):
    img = astronaut() if image == "astronaut" else insightface_image(image)
    mesh = get_landmarker("mediapipe-478")
    det = get_detector("mediapipe")
    flipped = np.ascontiguousarray(img[:, ::-1])
    width = img.shape[1]
    faces, faces_f = det.detect([img])[0], det.detect([flipped])[0]
    compared = 0
    for face, m in zip(faces, mesh(img, faces)):
        # the same person in the mirrored photo: the box whose centre is nearest the mirrored centre
        twin = min(faces_f, key=lambda f: abs(f.center[0] - (width - face.center[0])) + abs(f.center[1] - face.center[1]))
        m_f = mesh(flipped, [twin])[0]
        if m is None or m_f is None:
            continue
        a, b = mesh_pose(m)["angles"], mesh_pose(m_f)["angles"]
        tol = np.radians(3.0)
        assert abs(a[0] - b[0]) < tol  # pitch unchanged
        assert abs(a[1] + b[1]) < tol  # yaw mirrored
        assert abs(a[2] + b[2]) < tol  # roll mirrored
        compared += 1
    assert compared >= min(len(faces), 5)


def test_t1_yaw_signs():
    """Matt (top right in t1.jpg) looks towards the image's left; the frontal faces have |yaw| < 25°."""
    img = insightface_image("t1.jpg")
    det, mesh = get_detector("mediapipe"), get_landmarker("mediapipe-478")
    faces = det.detect([img])[0]
    yaw = {round(f.center[0]): np.degrees(mesh_pose(m)["angles"][1]) for f, m in zip(faces, mesh(img, faces))}
    matt = min(yaw, key=lambda x: abs(x - 960))
    assert yaw[matt] < -30
    assert sum(abs(v) < 25 for v in yaw.values()) >= 3


def test_nms_keeps_best_of_overlapping_boxes():
    a, b, c = FaceBox(0, 0, 10, 10, 0.9), FaceBox(1, 1, 11, 11, 0.8), FaceBox(50, 50, 60, 60, 0.5)
    assert non_max_suppression([b, c, a], 0.3) == [a, c]


# -- FrameAnalysis -----------------------------------------------------------------------------
def test_analysis_cache_hit_is_identical_and_does_not_rerun(tmp_path):
    frames = [astronaut(), np.ascontiguousarray(astronaut()[:, ::-1])]
    first = FrameAnalysis(tmp_path).run("landmarks:mediapipe-68", frames)
    fresh = FrameAnalysis(tmp_path)
    calls = []
    analyser = fresh.analyser("landmarks:mediapipe-68")
    detector = fresh.analyser("faces:mediapipe")
    real, real_det = analyser.analyse, detector.analyse
    analyser.analyse = lambda *a: calls.append("lm") or real(*a)
    detector.analyse = lambda *a: calls.append("det") or real_det(*a)
    second = fresh.run("landmarks:mediapipe-68", frames)
    assert calls == []
    assert fresh.stats["disk_hits"] == 2 and fresh.stats["computed"] == 0
    for x, y in zip(first, second):
        np.testing.assert_array_equal(x["points"], y["points"])
    # a new frame is computed (detector and landmarker once each), the cached ones are not
    third = fresh.run("landmarks:mediapipe-68", frames + [np.ascontiguousarray(astronaut()[::2, ::2])])
    assert calls == ["det", "lm"] and third[2].ok


def test_analysis_key_changes_with_backbone_fingerprint(tmp_path):
    fa = FrameAnalysis(tmp_path)
    fp_mp = fa.fingerprint("landmarks:mediapipe-68")
    assert fp_mp["input"]["id"].startswith("mediapipe-blazeface")
    assert fp_mp["weights_sha256"] and fp_mp["preprocessing_version"]


def test_blank_image_is_missing_with_a_reason(tmp_path):
    recs = FrameAnalysis(tmp_path).run("pose:mediapipe-mesh", [np.zeros((96, 96, 3), np.uint8)])
    assert not recs[0].ok and "no face detected" in recs[0].missing
    with pytest.raises(KeyError):
        recs[0]["angles"]


def test_mtcnn_with_the_facenet_pytorch_weights_finds_the_astronaut():
    from talkbench.errors import MissingWeightsError

    try:
        det = get_detector("mtcnn")
    except MissingWeightsError as exc:
        pytest.skip(f"facenet-pytorch files not installed: {exc}")
    img = astronaut()
    faces = det.detect([img])[0]
    assert len(faces) == 1 and faces[0].score > 0.99
    ref = get_detector("mediapipe").detect([img])[0][0]
    # two independent detectors agree on the five points within a few pixels (eye distance ≈ 43 px)
    assert np.linalg.norm(faces[0].points5 - ref.points5, axis=1).max() < 4.0
    assert abs(faces[0].center[0] - ref.center[0]) < 10


def test_dlib_hog_detector_gives_five_points_from_the_68_predictor():
    pytest.importorskip("dlib", reason="dlib extra not installed")
    faces = get_detector("dlib-hog").detect([astronaut()])[0]
    ref = get_detector("mediapipe").detect([astronaut()])[0][0]
    assert faces[0].score > 0.5
    assert np.linalg.norm(faces[0].points5 - ref.points5, axis=1).max() < 6.0


def test_unknown_detector_suggests_names():
    from talkbench.errors import UnknownNameError

    with pytest.raises(UnknownNameError, match="mtcnn"):
        get_detector("mtcn")
