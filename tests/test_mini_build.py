"""The mini benchmark generator: deterministic, cached, laid out as its adapter and protocols expect."""
from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("mediapipe")

from talkbench.benchmarks.mini.build import IDENTITIES, MiniConfig, build_mini, content_hash, cross_driver  # noqa: E402
from talkbench.benchmarks.mini.speech import mouth_opening  # noqa: E402
from talkbench.protocols.datasets import open_dataset  # noqa: E402
from talkbench.protocols.refs import Ref  # noqa: E402
from talkbench.protocols.spec import load_protocol  # noqa: E402

from .protocol_fixtures import maintenance_script  # noqa: E402

SMALL = MiniConfig(n_frames=6, size=128, mv_size=96)


@pytest.fixture(scope="module")
def mini_root(tmp_path_factory):
    return build_mini(tmp_path_factory.mktemp("mini"), SMALL)


def test_same_inputs_build_identical_bytes_and_reuse_the_cache(mini_root, tmp_path):
    again = build_mini(tmp_path, SMALL)
    first = json.loads((mini_root / "generator.json").read_text())
    second = json.loads((again / "generator.json").read_text())
    assert again.name == mini_root.name  # the folder is named by the hash of the inputs
    assert second["content_sha256"] == first["content_sha256"] == content_hash(again)
    mtime = (again / "generator.json").stat().st_mtime_ns
    assert build_mini(tmp_path, SMALL) == again and (again / "generator.json").stat().st_mtime_ns == mtime


def test_layout_seen_through_the_dataset_adapter(mini_root):
    ds = open_dataset("mini", mini_root)
    clips = ds.clip_ids()
    assert sum(c.startswith("portrait/") for c in clips) == 8
    assert sum(c.startswith("motion/") for c in clips) == 16  # own motion + the cross-identity driver's
    assert sum(c.startswith("multiview/") for c in clips) == 8
    frames = ds.frames(Ref("motion/astronaut/astronaut")).arrays
    assert len(frames) == 6 and frames[0].shape == (128, 128, 3)
    assert ds.audio(Ref("motion/t1-a/t1-a")).name == "t1-a.wav"
    views = ds.frames(Ref("multiview/t1-b", "all", "cam03")).arrays
    masks = ds.masks(Ref("multiview/t1-b", "all", "cam03")).arrays
    assert views[0].shape == (96, 96, 3) and masks[0].max() == 255 and masks[0].min() == 0
    # white background exactly where the mask is empty
    assert (views[0][masks[0][..., 0] == 0] == 255).all()
    cam = ds.camera("multiview/t1-b", "cam00")
    assert cam.cam2world.shape == (4, 4) and np.allclose(cam.cam2world[:3, :3] @ cam.cam2world[:3, :3].T, np.eye(3))
    # every camera looks at the face centre (the world origin) from the same distance
    centre_dirs = [ds.camera("multiview/t1-b", f"cam{i:02d}").cam2world for i in range(8)]
    for c2w in centre_dirs:
        to_origin = -c2w[:3, 3] / np.linalg.norm(c2w[:3, 3])
        assert np.allclose(c2w[:3, 2], to_origin, atol=1e-9)
    assert all(f.status == "present" for f in ds.validate())


def test_ground_truth_landmarks_follow_the_known_motion(mini_root):
    marks = np.load(mini_root / "motion/astronaut/astronaut.npy")
    params = json.loads((mini_root / "motion/astronaut/astronaut.json").read_text())["params"]
    assert marks.shape == (6, 478, 2) and len(params) == 6
    from talkbench.baselines.facemesh import detect_mesh
    from talkbench.io.images import read_image_array

    src = detect_mesh(read_image_array(mini_root / "portrait/astronaut/000000.png"))
    # the detector finds the moved face where the generator put it (within a few pixels at 128 px)
    last = read_image_array(sorted((mini_root / "motion/astronaut/astronaut").glob("*.png"))[-1])
    found = detect_mesh(last)
    err = np.linalg.norm(found[:, :2] - marks[-1], axis=1).mean()
    moved = np.linalg.norm(src[:, :2] - marks[-1], axis=1).mean()
    assert err < 2.5 and moved > err


def test_cross_pairs_are_a_derangement():
    drivers = [cross_driver(n) for n in IDENTITIES]
    assert sorted(drivers) == sorted(IDENTITIES) and all(d != n for d, n in zip(drivers, IDENTITIES))


def test_mouth_opening_follows_loudness():
    sr, fps = 16000, 25
    loud = (0.3 * np.sin(np.arange(sr) * 2 * np.pi * 200 / sr) * 32767).astype(np.int16)
    samples = np.concatenate([np.zeros(sr // 2, np.int16), loud[: sr // 2]])
    m = mouth_opening(samples, fps, 25)
    assert m[:10].max() == 0 and m[15:].min() == 1.0 and np.all(np.diff(m) >= 0)


@pytest.mark.parametrize("pid", ["mini-audio", "mini-cross-id", "mini-nxn", "mini-same-id"])
def test_shipped_protocol_files_are_what_the_generator_writes(pid):
    mini_protocols = maintenance_script("mini")
    assert sorted(mini_protocols.PROTOCOLS) == ["mini-audio", "mini-cross-id", "mini-nxn", "mini-same-id"]
    spec, manifest = mini_protocols.render(pid)
    folder = mini_protocols.shipped_folder()
    assert (folder / f"{pid}.yaml").read_text(encoding="utf-8") == spec
    assert (folder / f"{pid}.jsonl").read_text(encoding="utf-8") == manifest
    proto = load_protocol(pid)
    assert proto.dataset == "mini" and len(proto.items) == 8 and not proto.comparable


def test_synthesised_speech_is_deterministic_with_one_loud_vowel_per_syllable():
    from talkbench.benchmarks.mini.speech import PHRASES, SAMPLE_RATE, synthesise, syllables

    assert syllables("Thank you so much.") == [("a", True, 2), ("y", False, 2), ("o", True, 2), ("u", False, 3)]
    hop = SAMPLE_RATE // 100
    for seed in (0, 7):
        for text in PHRASES:
            x = synthesise(text, seed)
            assert np.array_equal(x, synthesise(text, seed)) and np.abs(x).max() == 1.0
            rms = np.sqrt(np.mean(x[: len(x) // hop * hop].reshape(-1, hop) ** 2, axis=1))
            edges = np.diff(np.concatenate([[0], (rms > 0.05).astype(int), [0]]))
            runs = np.flatnonzero(edges == -1) - np.flatnonzero(edges == 1)
            assert np.sum(runs >= 8) == len(syllables(text)), text  # vowels last ≥ 80 ms, consonant bursts 50 ms


@pytest.mark.parametrize("vowel", ["a", "e", "i", "o", "u", "y"])
def test_synthesised_vowel_resonates_at_its_first_formant(vowel):
    from talkbench.benchmarks.mini.speech import FORMANTS, SAMPLE_RATE, _vowel

    n, f0 = SAMPLE_RATE, 100.0
    spectrum = np.abs(np.fft.rfft(_vowel(vowel, n, np.full(n, f0)) * np.hanning(n)))  # 1 Hz bins
    # harmonic k of the source has amplitude 1/k²: dividing it out leaves the vocal-tract filter's gain
    gain = [spectrum[int(k * f0)] * k ** 2 for k in range(1, 30)]
    assert abs((np.argmax(gain) + 1) * f0 - FORMANTS[vowel][0]) <= f0 / 2
