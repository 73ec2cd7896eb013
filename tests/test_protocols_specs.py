"""Shipped protocol specs + frozen manifests: hashes, regeneration, item contents, path rules."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from talkbench.errors import InputError
from talkbench.io.hashing import sha256_file
from talkbench.protocols.refs import inside_root, select_frames
from talkbench.protocols.spec import load_protocol, protocol_rows, read_spec, spec_paths
from talkbench.protocols.writer import render

from .protocol_fixtures import maintenance_script

SPECS = spec_paths()["hdtf-same-id"].parent
#: specs/protocols.md §4.3: the 19-clip HDTF test list (GAGAvatar#40), in the published order
HDTF_TEST_CLIPS = (
    "WRA_ReneeEllmers_000", "WRA_GeoffDavis_000", "WDA_MikeDoyle_000", "WRA_JoePitts_000", "WRA_TimScott_000",
    "WRA_JohnThune_000", "WRA_ToddYoung_000", "WRA_RoyBlunt_000", "WDA_CatherineCortezMasto_000", "WRA_ErikPaulsen_000",
    "WRA_TomPrice_000", "WRA_TomCotton_000", "WRA_EricCantor_000", "WRA_RichardShelby_000", "WRA_RobPortman_000",
    "WDA_MartinHeinrich_000", "WRA_DeanHeller_000", "WRA_VickyHartzler_000", "WRA_ReincePriebus_000",
)
NERSEMBLE_HOLDOUT = {"222200040", "220700191", "222200043", "221501007"}
ISSUE_IDS = {"hdtf-same-id", "hdtf-cross-id", "hdtf-to-celeba-substitute", "celebvhq-same-id-substitute",
             "celebvhq-cross-id-substitute", "celebvhq-audio-substitute", "nersemble-nxn-substitute", "nersemble-paper-nvs",
             "celeba-reconstruction", "celeba-cross-id", "vfhq-same-id", "vfhq-cross-id", "th1kh-same-id", "person-specific"}


def test_every_issue_protocol_is_listed_with_version_and_count():
    rows = {r["id"]: r for r in protocol_rows()}
    assert ISSUE_IDS <= set(rows)
    assert rows["hdtf-same-id"]["items"] == 19 and rows["hdtf-cross-id"]["items"] == 19
    assert rows["hdtf-to-celeba-substitute"]["items"] == 19 * 60
    assert rows["nersemble-nxn-substitute"]["items"] == 9 and rows["nersemble-paper-nvs"]["items"] == 40
    assert rows["celeba-cross-id"]["items"] == 15000 and rows["celebvhq-audio-substitute"]["items"] == 100
    # the mini video protocols gained the offline temporal metrics in a minor version
    bumped = {"mini-same-id", "mini-cross-id", "mini-audio"}
    assert all(r["version"] == ("1.1" if pid in bumped else "1.0") for pid, r in rows.items())


@pytest.mark.parametrize("pid", sorted(ISSUE_IDS))
def test_manifest_sha256_matches_spec(pid):
    path = spec_paths()[pid]
    spec = read_spec(path)
    assert sha256_file(path.parent / spec["manifest"]) == spec["manifest_sha256"]
    proto = load_protocol(pid)
    assert len(proto.items) == spec["n_items"] and len({it["id"] for it in proto.items}) == spec["n_items"]
    assert len(proto.hash) == 64


def test_generator_reproduces_shipped_files_byte_for_byte():
    generate = maintenance_script("generate")
    assert set(generate.PROTOCOLS) | {"mini-same-id", "mini-cross-id", "mini-audio", "mini-nxn"} == set(spec_paths())
    for pid, build in generate.PROTOCOLS.items():
        text, body = generate.render(*build())
        assert (SPECS / f"{pid}.yaml").read_text(encoding="utf-8") == text, pid
        if body is not None:
            assert (SPECS / f"{pid}.jsonl").read_bytes() == body, pid


def test_hdtf_lists_are_verbatim():
    same = load_protocol("hdtf-same-id")
    assert [it["id"] for it in same.items] == list(HDTF_TEST_CLIPS)
    assert same.items[4]["source"] == {"clip": "WRA_TimScott_000", "frames": [0]}
    assert same.items[4]["target"]["frames"] == "1:" and same.items[4]["resolution"] == [512, 512]
    cross = load_protocol("hdtf-cross-id")
    assert {it["driving"]["clip"] for it in cross.items} == {"WRA_EricCantor_000"}
    assert [it["source"]["clip"] for it in cross.items] == list(HDTF_TEST_CLIPS)
    assert all("target" not in it or it["target"] is None for it in cross.items)
    hdtf_meta = json.loads((SPECS.parent / "data" / "hdtf_clips.json").read_text())
    assert len(hdtf_meta) == 421 and all(c in hdtf_meta for c in HDTF_TEST_CLIPS)
    assert hdtf_meta["WRA_EricCantor_000"]["crop_ratio"] == 1.2


def test_nersemble_cameras_and_substitute_labels():
    nxn = load_protocol("nersemble-nxn-substitute")
    serials = nxn.items[0]["target"]["serials"]
    assert len(serials) == 8 and "222200037" in serials
    assert {"124_FREE"}.isdisjoint(it["id"] for it in nxn.items)
    labels = {m.name: m for m in nxn.metrics if m.where}
    assert labels["csim"].where == {"camera": "222200037"} and "substitute" in labels["csim"].label
    nvs = load_protocol("nersemble-paper-nvs")
    assert {it["target"]["camera"] for it in nvs.items} == NERSEMBLE_HOLDOUT
    assert all(len(it["source"]["serials"]) == 12 and it["color_correction"] is True for it in nvs.items)


def test_pairings():
    vfhq = load_protocol("vfhq-cross-id")
    assert vfhq.items[49]["source"]["clip"] == "@0" and vfhq.items[49]["driving"]["clip"] == "@49"
    celeba = load_protocol("celeba-cross-id")
    assert celeba.items[1]["source"] == {"clip": "2"} and celeba.items[1]["driving"] == {"clip": "3"}
    cv = load_protocol("celebvhq-cross-id-substitute")
    assert all(it["source"]["clip"] != it["driving"]["clip"] for it in cv.items)
    assert {it["source"]["clip"] for it in cv.items} == {it["driving"]["clip"] for it in cv.items}


@pytest.mark.parametrize("selector,n,expected", [
    ("all", 4, [0, 1, 2, 3]), ([0], 4, [0]), ("1:", 4, [1, 2, 3]), (":2", 4, [0, 1]), ("0:6:2", 6, [0, 2, 4]),
    ("linspace:3", 5, [0, 2, 4]), ("last:1/11", 22, [20, 21]), ("first:10/11", 22, list(range(20))),
    ("last:1/11", 23, [20, 21, 22]),  # AD-NeRF: train ids < int(23 * 10/11) = 20
])
def test_frame_selectors(selector, n, expected):
    assert select_frames(selector, n) == expected


def test_bad_selectors_and_out_of_range_indices():
    with pytest.raises(ValueError):
        select_frames("every-other", 4)
    with pytest.raises(InputError):
        select_frames([5], 4)


def test_paths_leaving_the_root_are_rejected(tmp_path):
    (tmp_path / "root").mkdir()
    (tmp_path / "outside").mkdir()
    for bad in ("../outside", "/etc/passwd", "a/../../outside"):
        with pytest.raises(InputError, match="leaves the dataset root"):
            inside_root(tmp_path / "root", bad)
    (tmp_path / "root" / "link").symlink_to(tmp_path / "outside")
    with pytest.raises(InputError, match="outside the dataset root"):
        inside_root(tmp_path / "root", "link")
    assert inside_root(tmp_path / "root", "a/b") == tmp_path / "root" / "a" / "b"


def _write_protocol(folder: Path, items: list[dict], **spec_overrides) -> Path:
    spec = {"id": "tiny", "version": "1.0", "title": "t", "dataset": "custom", "dataset_version": "x", "task": "reenactment",
            "list_status": "synthetic", "description": "d", "references": [], "metrics": ["psnr"], "defaults": {}}
    spec.update(spec_overrides)
    text, body = render(spec, items)
    (folder / "tiny.yaml").write_text(text)
    (folder / "tiny.jsonl").write_bytes(body)
    return folder / "tiny.yaml"


def test_manifest_escaping_root_or_tampered_is_rejected(tmp_path):
    path = _write_protocol(tmp_path, [{"id": "a", "source": {"clip": "../../etc/x", "frames": [0]}}])
    with pytest.raises(InputError, match="leaves the dataset root"):
        load_protocol(path)
    path = _write_protocol(tmp_path, [{"id": "a", "source": {"clip": "c", "frames": [0]}}])
    proto = load_protocol(path)
    (tmp_path / "tiny.jsonl").write_text('{"id":"a","source":{"clip":"d","frames":[0]}}\n')
    with pytest.raises(InputError, match="sha256"):
        load_protocol(path)
    assert len(proto.hash) == 64


def test_protocol_hash_covers_spec_and_items(tmp_path):
    a = load_protocol(_write_protocol(tmp_path, [{"id": "a", "source": {"clip": "c", "frames": [0]}}]))
    b = load_protocol(_write_protocol(tmp_path, [{"id": "a", "source": {"clip": "c", "frames": [1]}}]))
    c = load_protocol(_write_protocol(tmp_path, [{"id": "a", "source": {"clip": "c", "frames": [1]}}], metrics=["l1"]))
    assert len({a.hash, b.hash, c.hash}) == 3


def test_substitute_naming_rule(tmp_path):
    with pytest.raises(InputError, match="-substitute"):
        load_protocol(_write_protocol(tmp_path, [{"id": "a", "source": {"clip": "c"}}], list_status="seeded-substitute"))
