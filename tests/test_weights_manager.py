"""The weights catalog, locations, import (verify before install), fetch (offline failure) and verify."""
from __future__ import annotations

import io
import sys
import urllib.error
import zipfile
from pathlib import Path

import pytest

from talkbench.errors import InputError, MissingWeightsError, UnknownNameError, WeightsMismatchError
from talkbench.io.hashing import sha256_bytes
from talkbench.weights import catalog as weights_catalog
from talkbench.weights import store as weights
from talkbench.weights.store import WeightsSpec
from talkbench.weights.install import (
    FetchError, fetch_weights, import_weights, status_rows, verify_rows,
)
from tests.checkpoint_manifests import manifest

ISSUE_FILES = {  # every official backbone file the metrics need -> catalog id
    "pt_inception-2015-12-05-6726825d.pth": "pt_inception", "alexnet-owt-7be5be79.pth": "alexnet",
    "alex.pth": "lpips_v0.1_alex", "buffalo_l": "buffalo_l", "antelopev2": "antelopev2",
    "backbone.pth": "arcface_iresnet100", "model_ir_se50.pth": "ir_se50", "epoch_20.pth": "deep3dfacerecon",
    "2DFAN4-11f355bf06.pth.tar": "fan_2d", "s3fd-619a316812.pth": "s3fd", "blazeface.pth": "blazeface",
    "syncnet_v2.model": "syncnet_v2", "pnet.pt": "mtcnn_pnet", "rnet.pt": "mtcnn_rnet", "onet.pt": "mtcnn_onet",
}


@pytest.fixture
def home(monkeypatch, tmp_path):
    """Every install location redirected into tmp_path."""
    monkeypatch.setenv("TALKBENCH_HOME", str(tmp_path / "tb"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setenv("TALKBENCH_INSIGHTFACE_ROOT", str(tmp_path / "insightface"))
    return tmp_path


@pytest.fixture
def fake_specs(monkeypatch):
    """Add test-only entries whose sha256 is known, next to the real catalog."""
    payload = b"official bytes " * 1000
    member = b"onnx bytes"
    extra = (
        WeightsSpec(id="testnet", file="testnet-1234.pth", sha256=sha256_bytes(payload), size_bytes=len(payload),
                    urls=("https://example.invalid/testnet-1234.pth",), licence="test"),
        WeightsSpec(id="testpack", file="testpack", kind="folder", install="insightface-pack", sha256=None,
                    size_bytes=None, urls=("https://example.invalid/testpack.zip",), licence="test",
                    members=(("rec.onnx", sha256_bytes(member), len(member)), ("det.onnx", sha256_bytes(b"d"), 1))),
    )
    monkeypatch.setattr(weights_catalog, "SPECS", weights_catalog.SPECS + extra)
    return {"payload": payload, "member": member}


def _tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")) if root.exists() else []


# -- catalog ---------------------------------------------------------------------------------------
def test_every_issue_file_is_catalogued():
    by_file = {s.basename: s.id for s in weights.list_weights()}
    for file, wid in ISSUE_FILES.items():
        assert weights.get_weights_spec(wid).basename == file
        assert file in by_file


@pytest.mark.parametrize("spec", [s for s in weights_catalog.SPECS if s.manifest], ids=lambda s: s.id)
def test_catalog_agrees_with_manifest(spec):
    m = manifest(spec.manifest)
    if spec.id == "blazeface_anchors":
        assert (spec.sha256, spec.basename) == (m["anchors"]["sha256"], m["anchors"]["file"])
        return
    assert spec.sha256 == m["sha256"]
    assert spec.basename in m["file"] or spec.file in m["file"]
    if m.get("size_bytes"):
        assert spec.size_bytes == m["size_bytes"]
    assert any(spec.urls[0] in u for u in m["urls"])
    for name, sha, size in spec.members:
        assert (sha, size) == (m["files"][name]["sha256"], m["files"][name]["size_bytes"])


def test_unknown_id_suggests_the_close_one():
    with pytest.raises(UnknownNameError, match="Did you mean: pt_inception"):
        weights.get_weights_spec("pt_inceptoin")


def test_package_files_are_found_without_importing_the_package():
    p = weights.locate_weights("lpips_v0.1_alex")
    assert p.parts[-4:] == ("lpips", "weights", "v0.1", "alex.pth")
    assert "lpips" not in sys.modules and "torchvision" not in sys.modules


def test_lpips_heads_are_the_package_files_with_the_manifest_sha256():
    for wid, name in (("lpips_v0.1_alex", "lpips_v0.1_alex"), ("lpips_v0.1_vgg", "lpips_v0.1_vgg")):
        found = weights.verified_weights(wid)
        assert found.sha256 == manifest(name)["sha256"]
        sd = weights.load_verified_state_dict(wid)
        assert {k: list(v.shape) for k, v in sd.items()} == manifest(name)["state_dict"]


def test_status_lists_every_file_with_presence(home):
    rows = {r["id"]: r for r in status_rows()}
    assert set(rows) == {s.id for s in weights.list_weights()}
    assert rows["pt_inception"]["present"] == "missing"
    assert rows["pt_inception"]["location"] == str(home / "tb" / "weights" / "pt_inception-2015-12-05-6726825d.pth")
    assert rows["fan_2d"]["location"] == str(home / "torch" / "hub" / "checkpoints" / "2DFAN4-11f355bf06.pth.tar")
    assert rows["buffalo_l"]["location"] == str(home / "insightface" / "models" / "buffalo_l")
    assert rows["mtcnn_onet"]["present"] == "present"


def test_torch_hub_cache_is_searched_for_talkbench_files(home):
    hub = home / "torch" / "hub" / "checkpoints"
    hub.mkdir(parents=True)
    (hub / "alexnet-owt-7be5be79.pth").write_bytes(b"x")
    assert weights.locate_weights("alexnet") == hub / "alexnet-owt-7be5be79.pth"
    with pytest.raises(WeightsMismatchError):  # found, but not the official bytes
        weights.verified_weights("alexnet")


# -- import ----------------------------------------------------------------------------------------
def test_import_of_a_wrong_file_installs_nothing(home, tmp_path):
    wrong = tmp_path / "dl" / "pt_inception-2015-12-05-6726825d.pth"
    wrong.parent.mkdir()
    wrong.write_bytes(b"not the inception weights")
    with pytest.raises(WeightsMismatchError, match="does not match the official 6726825d0af5"):
        import_weights(wrong)
    assert _tree(home / "tb") in ([], ["weights"])
    with pytest.raises(MissingWeightsError):
        weights.locate_weights("pt_inception")


def test_import_verifies_and_installs_a_file(home, tmp_path, fake_specs):
    src = tmp_path / "dl" / "renamed.bin"
    src.parent.mkdir()
    src.write_bytes(fake_specs["payload"])
    spec, dest = import_weights(src)  # recognised by its sha256 despite the name
    assert spec.id == "testnet" and dest == home / "tb" / "weights" / "testnet-1234.pth"
    assert dest.read_bytes() == fake_specs["payload"]
    assert _tree(home / "tb" / "weights") == ["testnet-1234.pth"]  # no temp files left
    assert weights.locate_weights("testnet") == dest
    assert verify_rows(["testnet"])[0]["result"] == "ok"


def test_import_needs_an_id_when_the_file_is_unknown(home, tmp_path):
    src = tmp_path / "mystery.pth"
    src.write_bytes(b"??")
    with pytest.raises(InputError, match="--id"):
        import_weights(src)


def test_import_refuses_package_shipped_files(home, tmp_path):
    src = tmp_path / "alex.pth"
    src.write_bytes(b"x")
    with pytest.raises(InputError, match="pip install lpips"):
        import_weights(src, "lpips_v0.1_alex")


def _zip(path: Path, files: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return path


def test_import_of_a_nested_pack_zip_flattens_and_verifies(home, tmp_path, fake_specs):
    z = _zip(tmp_path / "testpack.zip", {"testpack/rec.onnx": fake_specs["member"], "testpack/det.onnx": b"d"})
    spec, dest = import_weights(z)
    assert spec.id == "testpack" and dest == home / "insightface" / "models" / "testpack"
    assert sorted(p.name for p in dest.iterdir()) == ["det.onnx", "rec.onnx"]
    assert verify_rows(["testpack"])[0]["result"] == "ok"


def test_import_of_a_pack_with_a_wrong_member_installs_nothing(home, tmp_path, fake_specs):
    folder = tmp_path / "testpack"
    folder.mkdir()
    (folder / "rec.onnx").write_bytes(b"tampered")
    (folder / "det.onnx").write_bytes(b"d")
    with pytest.raises(WeightsMismatchError, match="rec.onnx"):
        import_weights(folder)
    assert _tree(home / "insightface" / "models") == []


# -- fetch -----------------------------------------------------------------------------------------
class _Response(io.BytesIO):
    def __init__(self, data: bytes):
        super().__init__(data)
        self.headers = {"Content-Length": str(len(data))}


def test_fetch_without_internet_fails_clearly(home):
    def offline(request, timeout):
        raise urllib.error.URLError("[Errno -2] Name or service not known")

    with pytest.raises(FetchError, match="no internet.*talkbench weights import PATH --id pt_inception"):
        fetch_weights("pt_inception", opener=offline, progress=False)
    assert _tree(home / "tb" / "weights") == []


def test_fetch_downloads_verifies_and_installs(home, fake_specs):
    res = fetch_weights("testnet", opener=lambda req, timeout: _Response(fake_specs["payload"]), progress=False)
    assert res.url == "https://example.invalid/testnet-1234.pth"
    assert res.path.read_bytes() == fake_specs["payload"]
    again = fetch_weights("testnet", opener=None)  # already present: no network
    assert again.url is None and again.path == res.path


def test_fetch_of_corrupt_bytes_installs_nothing(home, fake_specs):
    with pytest.raises(WeightsMismatchError):
        fetch_weights("testnet", opener=lambda req, timeout: _Response(b"truncated"), progress=False)
    assert _tree(home / "tb" / "weights") == []


def test_fetch_of_a_drive_folder_explains_the_manual_route(home):
    with pytest.raises(FetchError, match="no direct download URL.*--id deep3dfacerecon"):
        fetch_weights("deep3dfacerecon")
