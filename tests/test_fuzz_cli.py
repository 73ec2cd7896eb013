"""Fuzz suite, one-shot subcommands: every kind of bad input to `score`, `score-matrix`, `mos`, `validate`,
`report`, `compare` and `weights` gets its exit code and a `PATH: what. Fix: how` message, never a traceback
or a silent number. The table is the list of kinds (the README's reliability note counts them)."""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from talkbench.cli import main
from tests.fuzz_cases import Case, check_case, random_frames, run_cli, write_frames


@pytest.fixture(scope="module")
def fx(tmp_path_factory) -> Path:
    """Tiny shared inputs: a prediction/GT frame pair, a custom clip folder, a results folder."""
    root = tmp_path_factory.mktemp("fuzz")
    gt = random_frames(1, 3)
    write_frames(root / "gt", gt)
    write_frames(root / "pred", [np.clip(g.astype(int) + 9, 0, 255).astype(np.uint8) for g in gt])
    write_frames(root / "clips" / "clipA", random_frames(2, 3))
    write_frames(root / "clips" / "clipB", random_frames(3, 3))
    (root / "outside").mkdir()
    Image.fromarray(random_frames(4, 1)[0]).save(root / "outside" / "secret.png")
    (root / "notes.txt").write_text("not an image\n")
    assert main(["score", "--pred", str(root / "pred"), "--gt", str(root / "gt"), "--metrics", "psnr",
                 "--out", str(root / "results"), "--json"]) == 0
    return root


def copy_of(fx: Path, tmp: Path, name: str) -> Path:
    dst = tmp / name
    shutil.copytree(fx / name, dst, symlinks=True)
    return dst


# -- builders (tmp folder -> argv); the shared inputs are reached through FX, bound by the autouse fixture ----
FX: dict[str, Path] = {}


def fxp(name: str) -> str:
    return str(FX["root"] / name)


def score(*extra: str) -> list[str]:
    return ["score", "--pred", fxp("pred"), "--gt", fxp("gt"), *extra]


def npy(tmp: Path, arr) -> list[str]:
    np.save(tmp / "S.npy", arr)
    return ["score-matrix", "--matrix", str(tmp / "S.npy")]


def tiny_pair(tmp: Path, size: tuple[int, int]) -> list[str]:
    frames = random_frames(5, 2, size)
    write_frames(tmp / "p", frames)
    write_frames(tmp / "g", frames[::-1])
    return ["score", "--pred", str(tmp / "p"), "--gt", str(tmp / "g"), "--metrics", "ssim"]


def masks(tmp: Path, size: tuple[int, int]) -> list[str]:
    write_frames(tmp / "m", [np.full((*size, 3), 255, np.uint8)] * 3)
    return score("--metrics", "psnr_masked", "--mask", str(tmp / "m"))


def ratings(tmp: Path, data: bytes) -> list[str]:
    (tmp / "r.csv").write_bytes(data)
    return ["mos", str(tmp / "r.csv")]


CSV_OK = "rater,sample,method,aspect,score\nr1,s1,m,lip,4\nr2,s1,m,lip,5\n"


def custom_with(tmp: Path, change) -> list[str]:
    clips = copy_of(FX["root"], tmp, "clips")
    change(clips)
    return ["validate", "--dataset", "custom", "--root", str(clips)]


def link_clip_out(clips: Path) -> None:
    (clips / "leak.png").symlink_to(FX["root"] / "outside" / "secret.png")


def link_frame_out(clips: Path) -> None:
    (clips / "clipA" / "frame_009.png").symlink_to(FX["root"] / "outside" / "secret.png")


def jsonl_list(tmp: Path, path: str, link: bool = False) -> list[str]:
    lst = tmp / "list"
    lst.mkdir()
    if link:
        (lst / "inside").symlink_to(FX["root"] / "outside", target_is_directory=True)
    (lst / "clips.jsonl").write_text(json.dumps({"clip": "a", "path": path}) + "\n")
    return ["validate", "--dataset", "custom", "--root", str(lst / "clips.jsonl")]


def truncated(tmp: Path, name: str, *argv: str) -> list[str]:
    res = copy_of(FX["root"], tmp, "results")
    text = (res / name).read_text()
    (res / name).write_text(text[: len(text) // 2])
    return [*argv, str(res)]


def space_name(clips: Path) -> None:
    (clips / "clipA").rename(clips / "clip A")


CASES = [
    # score
    Case("score: prediction path does not exist", lambda t: ["score", "--pred", str(t / "nope"), "--gt", fxp("gt")], 2, "does not exist"),
    Case("score: prediction of an unsupported type", lambda t: ["score", "--pred", fxp("notes.txt"), "--gt", fxp("gt")], 2, "unsupported"),
    Case("score: prediction is a single image", lambda t: ["score", "--pred", fxp("gt/frame_000.png"), "--gt", fxp("gt")], 2, "single image"),
    Case("score: empty prediction folder", lambda t: (t / "e").mkdir() or ["score", "--pred", str(t / "e"), "--gt", fxp("gt")], 2, "no frames"),
    Case("score: GT path does not exist", lambda t: ["score", "--pred", fxp("pred"), "--gt", str(t / "nope")], 2, "--gt"),
    Case("score: frame counts differ", lambda t: write_frames(t / "g2", random_frames(1, 2)) and
         ["score", "--pred", fxp("pred"), "--gt", str(t / "g2")], 2, "same number of frames"),
    Case("score: unknown metric", lambda t: score("--metrics", "psnrr"), 2, "psnr"),
    Case("score: paired metric without --gt", lambda t: ["score", "--pred", fxp("pred"), "--metrics", "psnr"], 2, "--gt: is required"),
    Case("score: --out names an existing file", lambda t: score("--out", fxp("notes.txt")), 2, "is a file"),
    Case("score: --out under a file", lambda t: score("--out", fxp("notes.txt") + "/sub"), 2, "is a file"),
    Case("score: --audio does not exist", lambda t: ["score", "--pred", fxp("pred"), "--metrics", "lse", "--audio", str(t / "a.wav")],
         2, "does not exist"),
    Case("score: --audio is a folder", lambda t: ["score", "--pred", fxp("pred"), "--metrics", "lse", "--audio", str(t)], 2, "not a file"),
    Case("score: masked metric without --mask", lambda t: score("--metrics", "psnr_masked"), 2, "--mask"),
    Case("score: --mask is not a folder", lambda t: score("--metrics", "psnr_masked", "--mask", fxp("notes.txt")), 2, "not a folder"),
    Case("score: masks of another resolution", lambda t: masks(t, (12, 12)), 2, "12×12"),
    Case("score: frames smaller than the SSIM window (5×5)", lambda t: tiny_pair(t, (5, 5)), 1, "metric 'ssim'.*window"),
    Case("score: 1×1 frames", lambda t: tiny_pair(t, (1, 1)), 1, "metric 'ssim'"),
    Case("score: frames above the pixel limit", lambda t: os.environ.__setitem__("TALKBENCH_MAX_PIXELS", "100") or score(),
         2, "TALKBENCH_MAX_PIXELS"),
    # score-matrix
    Case("score-matrix: NaN entry", lambda t: npy(t, np.where(np.eye(3) > 0, np.nan, 20.0)[None]), 2, "non-finite"),
    Case("score-matrix: +inf entry", lambda t: npy(t, np.full((1, 2, 2), np.inf)), 2, "non-finite"),
    Case("score-matrix: -inf entry", lambda t: npy(t, np.array([[[1.0, -np.inf], [2.0, 3.0]]])), 2, "non-finite"),
    Case("score-matrix: all NaN", lambda t: npy(t, np.full((2, 3, 3), np.nan)), 2, "non-finite"),
    Case("score-matrix: complex values", lambda t: npy(t, np.ones((1, 2, 2), np.complex128)), 2, "complex"),
    Case("score-matrix: T = 0", lambda t: npy(t, np.zeros((0, 3, 3))), 2, "T ≥ 1"),
    Case("score-matrix: N = 1", lambda t: npy(t, np.zeros((2, 1, 1))), 2, "N ≥ 2"),
    Case("score-matrix: not square", lambda t: npy(t, np.zeros((2, 3, 4))), 2, "not T×N×N"),
    Case("score-matrix: 1-D array", lambda t: npy(t, np.zeros(4)), 2, "not T×N×N"),
    Case("score-matrix: strings", lambda t: npy(t, np.array([["a", "b"], ["c", "d"]])), 2, "not real"),
    Case("score-matrix: pickled objects", lambda t: npy(t, np.array([[None, 1], [2, 3]], dtype=object)), 2, "\\.npy|pickle"),
    Case("score-matrix: text file", lambda t: ["score-matrix", "--matrix", fxp("notes.txt")], 2, "not a .npy"),
    Case("score-matrix: a folder", lambda t: ["score-matrix", "--matrix", str(t)], 2, "is a folder"),
    # mos
    Case("mos: Latin-1 CSV", lambda t: ratings(t, (CSV_OK + "r3,s1,m,lèvres,4\n").encode("latin-1")), 2, "not UTF-8.*line 4"),
    Case("mos: binary file", lambda t: ratings(t, bytes(range(256))), 2, "binary"),
    Case("mos: UTF-8 BOM", lambda t: ratings(t, b"\xef\xbb\xbf" + CSV_OK.encode()), 2, "byte-order mark"),
    Case("mos: missing column", lambda t: ratings(t, b"rater,sample,score\nr,s,3\n"), 2, "lacks column"),
    Case("mos: score outside 1..5", lambda t: ratings(t, (CSV_OK + "r3,s1,m,lip,7\n").encode()), 2, "outside"),
    Case("mos: --out is a folder", lambda t: ratings(t, CSV_OK.encode()) + ["--out", str(t)], 2, "is a folder"),
    Case("mos: ratings file is a folder", lambda t: ["mos", str(t)], 2, "is a folder"),
    # validate
    Case("validate: mini dataset on an empty root", lambda t: ["validate", "--dataset", "mini", "--root", str(t)], 1),
    Case("validate: custom clip file symlinked out of the root", lambda t: custom_with(t, link_clip_out), 2, "outside the dataset root"),
    Case("validate: custom frames symlinked out of a clip folder", lambda t: custom_with(t, link_frame_out), 2, "outside the dataset root"),
    Case("validate: custom JSONL path with ..", lambda t: jsonl_list(t, "../x"), 2, "leaves the dataset root"),
    Case("validate: custom JSONL path through a symlink out", lambda t: jsonl_list(t, "inside/secret.png", link=True), 2,
         "outside the dataset root"),
    Case("validate: custom clip name with a space", lambda t: custom_with(t, space_name), 2, "clip A.*rename"),
    Case("validate: --pred is a file", lambda t: ["validate", "--protocol", "hdtf-same-id", "--pred", fxp("notes.txt")], 2, "not a folder"),
    Case("validate: unknown dataset", lambda t: ["validate", "--dataset", "hdtff", "--root", str(t)], 2, "hdtf"),
    Case("validate: dataset root does not exist", lambda t: ["validate", "--dataset", "hdtf", "--root", str(t / "nope")], 2, "does not exist"),
    # report / compare
    Case("report: truncated summary.json", lambda t: truncated(t, "summary.json", "report"), 2, "summary.json"),
    Case("compare: truncated summary.json", lambda t: truncated(t, "summary.json", "compare", fxp("results")), 2, "summary.json"),
    Case("report: --out is a folder", lambda t: ["report", fxp("results"), "--out", str(t)], 2, "is a folder"),
    Case("report: results folder does not exist", lambda t: ["report", str(t / "nope")], 2, "nope"),
    Case("compare: --junit is a folder", lambda t: ["compare", fxp("results"), fxp("results"), "--junit", str(t)], 2, "is a folder"),
    Case("compare: --out under a file", lambda t: ["compare", fxp("results"), fxp("results"), "--out", fxp("notes.txt") + "/x.md"], 2,
         "is a file"),
    # weights
    Case("weights import: file does not exist", lambda t: ["weights", "import", str(t / "nope.pth")], 2, "nope.pth"),
    Case("weights import: unrecognised file", lambda t: ["weights", "import", fxp("notes.txt")], 2, "notes.txt"),
]


@pytest.fixture(autouse=True)
def _bind(fx, monkeypatch, tmp_path):
    FX["root"] = fx
    monkeypatch.delenv("TALKBENCH_MAX_PIXELS", raising=False)
    monkeypatch.setenv("TALKBENCH_HOME", str(tmp_path / "home"))
    yield
    os.environ.pop("TALKBENCH_MAX_PIXELS", None)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_bad_input(case, capsys, tmp_path):
    check_case(capsys, case, tmp_path)


def test_cases_are_distinct_kinds():
    assert len({c.kind for c in CASES}) == len(CASES) >= 40


def test_sixteen_bit_png_of_the_same_content_scores_infinite_psnr(fx, capsys, tmp_path):
    import cv2

    gt = random_frames(1, 3)
    (tmp_path / "p16").mkdir()
    for i, g in enumerate(gt):
        cv2.imwrite(str(tmp_path / "p16" / f"frame_{i:03d}.png"), g[..., ::-1].astype(np.uint16) * 257)
    code, out, err = run_cli(capsys, ["score", "--pred", str(tmp_path / "p16"), "--gt", fxp("gt"), "--metrics", "psnr,l1", "--json"])
    from talkbench.io.jsonfloat import loads

    metrics = loads(out)["metrics"]
    assert code == 0 and metrics["psnr"]["value"] == float("inf") and metrics["l1"]["value"] == 0.0


def test_sixteen_bit_values_are_rounded_not_clipped(tmp_path):
    from talkbench.io.images import read_image_array

    v = np.arange(0, 65536, 7, dtype=np.uint16)[:4096].reshape(64, 64)
    Image.fromarray(v).save(tmp_path / "g16.png")  # PIL writes mode I;16 as a 16-bit grayscale PNG
    got = read_image_array(tmp_path / "g16.png")
    assert got.dtype == np.uint8 and (got == np.round(v / 257.0).astype(np.uint8)[..., None]).all()


def test_8000x8000_pair_is_refused_up_front_with_the_limit(capsys, tmp_path):
    big = np.zeros((8000, 8000, 3), np.uint8)
    for name in ("p", "g"):
        (tmp_path / name).mkdir()
        Image.fromarray(big).save(tmp_path / name / "0.png", compress_level=1)
    code, _, err = run_cli(capsys, ["score", "--pred", str(tmp_path / "p"), "--gt", str(tmp_path / "g")])
    assert code == 2 and "8000×8000" in err and "TALKBENCH_MAX_PIXELS=64000000" in err and "Traceback" not in err


def test_an_internal_error_is_short_with_a_log_and_a_traceback_only_with_v(capsys, monkeypatch, tmp_path):
    import talkbench.commands.ls as ls

    def boom(args):
        raise RuntimeError("unexpected state")

    monkeypatch.setattr(ls, "run", boom)
    code, _, err = run_cli(capsys, ["ls", "metrics"])
    assert code == 3 and "Traceback" not in err and "internal error: RuntimeError: unexpected state" in err
    logs = list((tmp_path / "home" / "logs").glob("crash-*.log"))
    assert len(logs) == 1 and str(logs[0]) in err and "RuntimeError: unexpected state" in logs[0].read_text()
    code, _, err = run_cli(capsys, ["-v", "ls", "metrics"])
    assert code == 3 and "Traceback" in err


def test_an_os_error_on_a_user_path_names_it_and_the_fix(capsys, monkeypatch):
    import errno

    import talkbench.commands.ls as ls

    def denied(args):
        raise PermissionError(errno.EACCES, "Permission denied", "/data/locked.mp4")

    monkeypatch.setattr(ls, "run", denied)
    code, _, err = run_cli(capsys, ["ls", "metrics"])
    assert code == 2 and "talkbench: error: /data/locked.mp4: cannot be accessed (permission denied). Fix: " in err
