"""`talkbench weights status | import | fetch | verify` and `talkbench ls weights`."""
from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from talkbench.cli import main


@pytest.fixture
def home(monkeypatch, tmp_path):
    monkeypatch.setenv("TALKBENCH_HOME", str(tmp_path / "tb"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setenv("TALKBENCH_INSIGHTFACE_ROOT", str(tmp_path / "insightface"))
    return tmp_path


def test_status_json_lists_files_with_presence(home, capsys):
    assert main(["weights", "status", "--json"]) == 0
    rows = {r["id"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["pt_inception"]["present"] == "missing"
    assert rows["lpips_v0.1_alex"]["present"] == "present"
    assert rows["syncnet_v2"]["file"] == "syncnet_v2.model"


def test_status_table(home, capsys):
    assert main(["weights", "status"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["id", "file", "present", "install", "licence", "url", "location"]
    assert "epoch_20.pth" in out and "missing" in out


def test_import_of_wrong_file_reports_mismatch_and_installs_nothing(home, tmp_path, capsys):
    wrong = tmp_path / "syncnet_v2.model"
    wrong.write_bytes(b"an html error page")
    assert main(["weights", "import", str(wrong)]) == 2
    err = capsys.readouterr().err
    assert "does not match the official 961e8696f888" in err and "nothing was installed" in err
    assert not (home / "tb" / "weights" / "syncnet_v2.model").exists()
    assert list((home / "tb" / "weights").iterdir()) == []


def test_fetch_offline_exits_2_with_a_clear_message(home, monkeypatch, capsys):
    def offline(request, timeout=None):
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    assert main(["weights", "fetch", "pt_inception"]) == 2
    err = capsys.readouterr().err
    assert "could not download pt_inception-2015-12-05-6726825d.pth" in err
    assert "no internet" in err and "talkbench weights import PATH --id pt_inception" in err


def test_verify_package_files(home, capsys):
    assert main(["weights", "verify", "mtcnn_pnet", "lpips_v0.1_vgg", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["result"] for r in rows] == ["ok", "ok"]


def test_ls_weights_topic(home, capsys):
    assert main(["ls", "weights", "--json"]) == 0
    ids = [r["id"] for r in json.loads(capsys.readouterr().out)]
    assert "pt_inception" in ids and "buffalo_l" in ids


def test_status_table_has_url_and_licence_columns(home, capsys):
    assert main(["weights", "status"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["id", "file", "present", "install", "licence", "url", "location"]
    row = next(line for line in lines if line.startswith("pt_inception "))
    assert "Apache-2.0" in row and "https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/" in row
    assert any("weights fetch --all" in line for line in lines)


def test_fetch_for_metric_picks_its_files_and_companions(home, monkeypatch, capsys):
    """--for akd needs FAN and the S3FD detector its loader reads; offline, each fails with its import command."""
    asked = []

    def offline(request, timeout=None):
        asked.append(request.full_url)
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    assert main(["weights", "fetch", "--for", "akd", "--json"]) == 2  # every file failed: offline
    rows = json.loads(capsys.readouterr().out)
    assert [r["id"] for r in rows] == ["fan_2d", "s3fd"]
    assert asked == ["https://www.adrianbulat.com/downloads/python-fan/2DFAN4-11f355bf06.pth.tar",
                     "https://www.adrianbulat.com/downloads/python-fan/s3fd-619a316812.pth"]
    assert all(r["result"].startswith("FAILED") and f"--id {r['id']}" in r["result"] for r in rows)


def test_fetch_for_metric_verifies_what_it_downloads(home, monkeypatch, capsys):
    """Served bytes that do not match the official sha256 install nothing; lpips' heads come with the pip package."""
    import io

    payload = b"an html error page, not alexnet"

    class Resp(io.BytesIO):
        headers = {"Content-Length": str(len(payload))}

        def __enter__(self):
            return self

        def __exit__(self, *a):
            self.close()

    monkeypatch.setattr(urllib.request, "urlopen", lambda request, timeout=None: Resp(payload))
    assert main(["weights", "fetch", "--for", "lpips", "--json"]) == 1  # alexnet: wrong bytes; heads: present
    rows = {r["id"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["lpips_v0.1_alex"]["result"] == "present (pip package)" and rows["lpips_v0.1_alex"]["ok"]
    assert rows["alexnet"]["result"].startswith("FAILED") and "does not match the official 7be5be79" in rows["alexnet"]["result"]
    assert not (home / "tb" / "weights" / "alexnet-owt-7be5be79.pth").exists()


def test_fetch_needs_exactly_one_selection(home, capsys):
    assert main(["weights", "fetch"]) == 2
    assert "exactly one of ID, --all or --for" in capsys.readouterr().err
