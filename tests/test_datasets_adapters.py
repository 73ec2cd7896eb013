"""Every dataset adapter on a tiny fake copy of its official layout, including malformed layouts."""
from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from PIL import Image

from talkbench.cli import main
from talkbench.errors import InputError
from talkbench.io.video import write_video
from talkbench.protocols.datasets import ADAPTERS, open_dataset
from talkbench.protocols.datasets.nersemble import SERIALS
from talkbench.protocols.refs import Ref
from tests.protocol_fixtures import clip_frames, make_hdtf, make_nersemble_v1


def statuses(findings):
    return {f.what: f.status for f in findings}


def test_every_adapter_is_registered():
    assert set(ADAPTERS) >= {"hdtf", "celebvhq", "nersemble-v1", "nersemble-v2", "celeba", "vfhq", "th1kh",
                             "person-specific", "custom"}


def test_hdtf_layout_truncation_names_and_squareness(tmp_path):
    clips = ["WRA_EricCantor_000", "WRA_TimScott_000", "WDA_MikeDoyle_000"]
    root = make_hdtf(tmp_path, n_frames=3, clips=clips)
    ds = open_dataset("hdtf", root)
    fs = ds.frames(Ref("WRA_EricCantor_000", "1:"))
    assert len(fs) == 2 and fs.names == ["frame_000001", "frame_000002"] and fs.arrays[0].shape == (32, 32, 3)
    data = (root / "WRA_TimScott_000.mp4").read_bytes()
    (root / "WRA_TimScott_000.mp4").write_bytes(data[: len(data) // 3])  # truncated download
    write_video(root / "WDA_MikeDoyle_000.mp4", [np.zeros((32, 48, 3), np.uint8)] * 2)  # not square
    write_video(root / "Radio34_3.mp4", clip_frames(0, 2))  # wrong naming
    found = statuses(ds.validate(clips + ["WRA_ToddYoung_000"]))
    assert found["WRA_EricCantor_000"] == "present"
    assert found["WRA_TimScott_000"] == "malformed" and found["WDA_MikeDoyle_000"] == "malformed"
    assert found["WRA_ToddYoung_000"] == "missing" and found["Radio34_3"] == "malformed"


def test_validate_cli_exit_codes(tmp_path, capsys):
    root = make_hdtf(tmp_path / "ok", n_frames=2, clips=["WRA_EricCantor_000"])
    assert main(["validate", "--dataset", "hdtf", "--root", str(root)]) == 1  # the 18 other protocol clips are missing
    out = capsys.readouterr().out
    assert "missing 18, malformed 0" in out and "present 1" in out
    (root / "WRA_EricCantor_000.mp4").write_bytes(b"not a video")
    assert main(["validate", "--dataset", "hdtf", "--root", str(root)]) == 2


def _nersemble_v2(root, pid="388", seq="GLASSES", serials=SERIALS, n=2):
    calib = root / pid / "calibration"
    calib.mkdir(parents=True)
    K = {s: [[1000.0, 0, 550], [0, 1000.0, 802], [0, 0, 1]] for s in SERIALS}
    (calib / "camera_params.json").write_text(json.dumps({"world_2_cam": {s: np.eye(4).tolist() for s in SERIALS}, "intrinsics": K}))
    for k, s in enumerate(serials):
        write_video(root / pid / "sequences" / seq / "images" / f"cam_{s}.mp4", clip_frames(k, n, 16), crf=0)
    return root


def test_nersemble_v1_cameras_colour_masks_and_malformed(tmp_path):
    root = make_nersemble_v1(tmp_path, "085", "SEN-01-port_strong_smokey", n_frames=2)
    ds = open_dataset("nersemble-v1", root)
    clip = "085/SEN-10-port_strong_smokey"  # v2 name, found through the alias table
    assert statuses(ds.validate([clip]))[clip] == "present"
    cam = ds.camera(clip, "222200044")  # index 1 -> translated by 1 in the fixture
    assert np.allclose(cam.cam2world[0, 3], -1.0) and np.allclose(cam.intrinsics[0], [2000 / 2200, 0, 1100 / 2200])
    raw = ds.frames(Ref(clip, [0], "222200044")).arrays[0].astype(np.float64)
    cc = ds.frames(Ref(clip, [0], "222200044"), color_correction=True).arrays[0]
    assert np.array_equal(cc, np.round(np.clip(raw / 255 * 0.9 + 0.05, 0, 1) * 255).astype(np.uint8))
    assert ds.masks(Ref(clip, "all", "222200044")).arrays[0][0, 0, 0] == 0
    # a missing camera file and a wrong serial in camera_params.json
    (root / "085/sequences/SEN-01-port_strong_smokey/frame_00001/images-2x-73fps/cam_222200037.png").unlink()
    params = json.loads((root / "085/camera_params.json").read_text())
    params["world_2_cam"]["999999999"] = params["world_2_cam"].pop("222200042")
    (root / "085/camera_params.json").write_text(json.dumps(params))
    found = ds.validate([clip])
    assert statuses(found)[clip] == "malformed" and "222200037" in [f for f in found if f.what == clip][0].detail
    assert statuses(found)["085/camera_params.json"] == "malformed"
    with pytest.raises(InputError, match="wrong camera serials"):
        ds.camera(clip, "222200044")


def test_nersemble_v2_missing_and_stray_cameras(tmp_path):
    root = _nersemble_v2(tmp_path, serials=SERIALS[:15])
    write_video(root / "388/sequences/GLASSES/images/cam_123456789.mp4", clip_frames(0, 2, 16))
    ds = open_dataset("nersemble-v2", root)
    f = [x for x in ds.validate(["388/GLASSES"]) if x.what == "388/GLASSES"][0]
    assert f.status == "malformed" and SERIALS[15] in f.detail and "123456789" in f.detail
    assert len(ds.frames(Ref("388/GLASSES", "all", SERIALS[0]))) == 2
    assert np.allclose(ds.camera("388/GLASSES", SERIALS[0]).intrinsics[1, 1], 1000.0 / 3208)
    with pytest.raises(InputError, match="not implemented"):
        ds.frames(Ref("388/GLASSES", "all", SERIALS[0]), color_correction=True)


def test_celebvhq_positions_follow_the_info_file(tmp_path):
    clips = {"b_1": {}, "a_0": {}, "a_10": {}, "a_2": {}}
    info = {"meta_info": {}, "clips": {c: {"ytb_id": c[:1], "duration": {"start_sec": 0, "end_sec": 1},
                                           "bbox": {"top": 0, "bottom": 1, "left": 0, "right": 1}, "attributes": {}} for c in clips}}
    (tmp_path / "celebvhq_info.json").write_text(json.dumps(info))
    for k, c in enumerate(["a_0", "a_2", "b_1"]):
        write_video(tmp_path / "processed" / f"{c}.mp4", clip_frames(k, 2))
    ds = open_dataset("celebvhq", tmp_path)
    assert [ds.resolve_clip(f"@{k}") for k in range(4)] == ["a_0", "a_2", "a_10", "b_1"]
    found = statuses(ds.validate(["@0", "@2"]))
    assert found["a_0"] == "present" and found["a_10"] == "missing"
    assert found["celebvhq_info.json"] == "malformed"  # 4 clips, not the official 35,666
    assert ds.audio(Ref("@3")).name == "b_1.mp4"


def test_celeba_split_and_images(tmp_path):
    (tmp_path / "CelebA-HQ-img").mkdir()
    for i in range(3):
        Image.fromarray(clip_frames(i, 1)[0]).save(tmp_path / "CelebA-HQ-img" / f"{i}.jpg")
    (tmp_path / "CelebA-HQ-to-CelebA-mapping.txt").write_text("idx orig_idx orig_file\n0 5 a.jpg\n1 170000 b.jpg\n2 190000 c.jpg\n")
    ds = open_dataset("celeba", tmp_path)
    assert ds.split() == {"0": "train", "1": "val", "2": "test"}
    assert ds.frames(Ref("2")).arrays[0].shape == (32, 32, 3)
    assert statuses(ds.validate(["0", "7"]))["7"] == "missing"


def test_vfhq_th1kh_person_specific(tmp_path):
    vfhq = tmp_path / "vfhq"
    (vfhq / "Clip+abc_D-1+P0+C2").mkdir(parents=True)
    for t, a in enumerate(clip_frames(0, 3)):
        Image.fromarray(a).save(vfhq / "Clip+abc_D-1+P0+C2" / f"{t:08d}.png")
    ds = open_dataset("vfhq", vfhq)
    assert ds.resolve_clip("@0") == "Clip+abc_D-1+P0+C2" and len(ds.frames(Ref("@0", "1:"))) == 2
    th = tmp_path / "th"
    write_video(th / "val" / "vid_S10_E13_L0_T0_R32_B32.mp4", clip_frames(0, 4))
    write_video(th / "val" / "vid_S10_E20_L0_T0_R32_B32.mp4", clip_frames(0, 4))
    found = statuses(open_dataset("th1kh", th).validate())
    assert found == {"vid_S10_E13_L0_T0_R32_B32": "present", "vid_S10_E20_L0_T0_R32_B32": "malformed"}
    ps = tmp_path / "ps"
    write_video(ps / "Obama" / "Obama.mp4", clip_frames(0, 22), fps=25)
    (ps / "Obama" / "aud.wav").write_bytes(b"RIFF")
    write_video(ps / "May.mp4", clip_frames(1, 3), fps=30)
    ds = open_dataset("person-specific", ps)
    assert [int(n[-6:]) for n in ds.frames(Ref("Obama", "last:1/11")).names] == [20, 21]
    assert ds.audio(Ref("Obama")).name == "aud.wav"
    assert statuses(ds.validate()) == {"May": "malformed", "Obama": "present"}


def test_custom_folder_and_jsonl_list(tmp_path):
    write_video(tmp_path / "clips" / "talk1.mp4", clip_frames(0, 3))
    ds = open_dataset("custom", tmp_path / "clips")
    assert ds.clip_ids() == ["talk1"]
    (tmp_path / "list.jsonl").write_text('{"clip": "x", "path": "clips/talk1.mp4"}\n{"clip": "bad", "path": "../../etc/passwd"}\n')
    lst = open_dataset("custom", tmp_path / "list.jsonl")
    assert len(lst.frames(Ref("x"))) == 3
    with pytest.raises(InputError, match="leaves the dataset root"):
        lst.frames(Ref("bad"))
    assert statuses(lst.validate())["bad"] == "malformed"  # an escape is a rejection (exit 2), not a gap


def test_custom_protocol_is_not_comparable(tmp_path):
    from talkbench.protocols.api import run
    from tests.protocol_fixtures import BlendModel
    from talkbench.models import registry

    write_video(tmp_path / "clips" / "talk1.mp4", clip_frames(0, 3), crf=0)
    registry.MODELS["test-blend"] = "tests.protocol_fixtures:BlendModel"
    try:
        s = run("custom", data=tmp_path / "clips", out=tmp_path / "out", model="test-blend", metrics=["psnr"])
    finally:
        registry.MODELS.pop("test-blend")
    assert s["comparable"] is False and s["counts"]["evaluated"] == 1 and s["metrics"]["psnr"]["n"] == 1
    assert BlendModel.info.kind == "baseline"


def test_symlinked_clip_leaving_root_is_rejected(tmp_path):
    outside = tmp_path / "outside"
    write_video(outside / "v.mp4", clip_frames(0, 2))
    root = tmp_path / "root"
    root.mkdir()
    (root / "WRA_EricCantor_000").symlink_to(outside, target_is_directory=True)
    with pytest.raises(InputError, match="outside the dataset root"):
        open_dataset("hdtf", root).frames(Ref("WRA_EricCantor_000"))
    shutil.rmtree(outside)
