"""`talkbench score`, `score-matrix` and `ls` through the CLI entry point."""
from __future__ import annotations

import json

import numpy as np
import pytest
from skimage.metrics import peak_signal_noise_ratio

from talkbench.cli import main
from talkbench.io.video import write_video


def run_cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_ls_metrics_json(capsys):
    code, out, _ = run_cli(capsys, "ls", "metrics", "--json")
    assert code == 0
    cards = {c["name"]: c for c in json.loads(out)}
    for n in ["psnr", "ssim", "l1", "mse", "synthesis_quality", "nvs_quality", "nvv", "ivv"]:
        assert n in cards
    assert cards["psnr"]["higher_is_better"] is True and cards["psnr"]["unit"] == "dB"
    assert cards["nvv"]["kind"] == "multiview-matrix"


def test_score_folder_pair(capsys, frame_pair):
    pred_dir, gt_dir, pred, gt = frame_pair
    code, out, _ = run_cli(capsys, "score", "--pred", str(pred_dir), "--gt", str(gt_dir), "--metrics", "psnr,ssim,l1", "--json")
    assert code == 0
    data = json.loads(out)
    expect = np.mean([peak_signal_noise_ratio(g, p, data_range=255) for p, g in zip(pred, gt)])
    assert data["metrics"]["psnr"]["value"] == pytest.approx(expect, abs=1e-6)
    # one ad-hoc item of 5 frame pairs, summarised by the protocol runner's own code
    assert data["counts"] == {"expected": 1, "evaluated": 1, "missing": 0}
    assert data["metrics"]["psnr"]["n"] == 1 and data["metrics"]["psnr"]["extra"]["frames"] == 5
    assert data["protocol"]["id"] == "adhoc" and data["comparable"] is False


def test_score_mismatched_counts_exit_2(capsys, frame_pair):
    pred_dir, gt_dir, *_ = frame_pair
    (gt_dir / "frame_004.png").unlink()
    code, out, err = run_cli(capsys, "score", "--pred", str(pred_dir), "--gt", str(gt_dir), "--json")
    assert code == 2 and out == ""
    assert "5 frames" in err and "4" in err and str(pred_dir) in err


def test_corrupt_frame_named_and_not_scored(capsys, frame_pair, tmp_path):
    pred_dir, gt_dir, *_ = frame_pair
    bad = pred_dir / "frame_002.png"
    bad.write_bytes(b"not a png at all")
    code, out, err = run_cli(capsys, "score", "--pred", str(pred_dir), "--gt", str(gt_dir), "--json", "--out", str(tmp_path / "res"))
    assert code == 1  # partial result
    data = json.loads(out)
    _, _, pred, gt = frame_pair
    kept = [k for k in range(5) if k != 2]
    expect = np.mean([peak_signal_noise_ratio(gt[k], pred[k], data_range=255) for k in kept])
    assert data["metrics"]["psnr"]["value"] == pytest.approx(expect, abs=1e-6)  # the bad frame is left out, not 0
    assert data["metrics"]["psnr"]["extra"]["frames"] == 4 and data["run"]["frames_left_out"] == 1
    missing = {(m["item"], m["metric"]): m["reason"] for m in data["missing"]}
    assert set(missing) == {(f"{pred_dir.name}/frame_002.png", m) for m in ("psnr", "ssim", "l1")}
    assert all(str(bad) in r for r in missing.values()) and str(bad) in err
    items = [json.loads(l) for l in (tmp_path / "res" / "items.jsonl").read_text().splitlines()]
    assert {r["metric"]: r["n_frames"] for r in items} == {"psnr": 4, "ssim": 4, "l1": 4}


def test_score_videos(capsys, tmp_path, rng):
    frames = [rng.integers(0, 256, (32, 32, 3), dtype=np.uint8) for _ in range(4)]
    a = write_video(tmp_path / "a.mp4", frames, fps=25)
    code, out, _ = run_cli(capsys, "score", "--pred", str(a), "--gt", str(a), "--metrics", "psnr,l1", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["metrics"]["psnr"]["value"] == float("inf") or data["metrics"]["psnr"]["value"] == "inf"
    assert data["metrics"]["l1"]["value"] == 0.0 and data["metrics"]["l1"]["extra"]["frames"] == 4


def test_corrupt_video_named(capsys, tmp_path, frame_pair):
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"\x00" * 100)
    code, _, err = run_cli(capsys, "score", "--pred", str(bad), "--gt", str(frame_pair[1]))
    assert code == 2 and str(bad) in err


def test_score_matrix_cli(capsys, tmp_path):
    from tests.test_multiview import S
    from talkbench.metrics.multiview import nvv

    np.save(tmp_path / "S.npy", S)
    code, out, _ = run_cli(capsys, "score-matrix", "--matrix", str(tmp_path / "S.npy"), "--json")
    assert code == 0
    data = json.loads(out)
    assert data["shape"] == [2, 3, 3] and data["nvv"] == pytest.approx(nvv(S))


def test_unknown_metric_suggests(capsys, frame_pair):
    pred_dir, gt_dir, *_ = frame_pair
    code, _, err = run_cli(capsys, "score", "--pred", str(pred_dir), "--gt", str(gt_dir), "--metrics", "psnr,ssmi")
    assert code == 2 and "Did you mean: ssim" in err


def test_every_subcommand_has_working_help(capsys):
    from talkbench.cli import COMMANDS

    for name in [None, *COMMANDS]:
        with pytest.raises(SystemExit) as exc:
            main(["--help"] if name is None else [name, "--help"])
        assert exc.value.code == 0
        out, _ = capsys.readouterr()
        assert "usage: talkbench" in out


def test_score_with_alpha_masks_composites_onto_white(capsys, frame_pair, tmp_path):
    from PIL import Image

    pred_dir, gt_dir, pred, gt = frame_pair
    masks = tmp_path / "masks"
    masks.mkdir()
    alphas = []
    for k in range(5):
        a = np.zeros((40, 48), dtype=np.uint8)
        a[:, : 10 + 5 * k] = 255  # an opaque left part that grows frame by frame
        alphas.append(a / 255.0)
        Image.fromarray(np.dstack([np.full((40, 48, 3), 9, np.uint8), a])).save(masks / f"m{k}.png")
    code, out, err = run_cli(capsys, "score", "--pred", str(pred_dir), "--gt", str(gt_dir), "--mask", str(masks),
                             "--metrics", "l1_masked", "--json")
    assert code == 0, err
    # composite-white: |(p·a + 1-a) - (g·a + 1-a)| = a·|p-g|, averaged over channels and pixels, then frames
    expect = np.mean([np.mean(a[..., None] * np.abs(p / 255.0 - g / 255.0)) for p, g, a in zip(pred, gt, alphas)])
    assert json.loads(out)["metrics"]["l1_masked"]["value"] == pytest.approx(expect, rel=1e-12)
