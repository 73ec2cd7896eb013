"""`talkbench score` with a face metric on a folder whose middle frame has no face: every other frame keeps its
own value (the folder's mean equals the mean of the frames scored one by one), the last frame is not dropped,
and the faceless frame is listed with its reason."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from talkbench.protocols.adhoc import AdhocConfig, score_adhoc
from tests.face_images import astronaut
from tests.fuzz_cases import run_cli, write_frames

METRIC = "lmd_mediapipe"


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    pytest.importorskip("mediapipe")
    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("faces")
    face = np.asarray(Image.fromarray(astronaut()).resize((256, 256), Image.BILINEAR))
    gt = [face, np.full_like(face, 128), face[:, ::-1].copy(), np.roll(face, 6, axis=0)]
    pred = [np.roll(g, 3 * (k + 1), axis=1) for k, g in enumerate(gt)]  # a different offset per frame
    return write_frames(root / "pred", pred), write_frames(root / "gt", gt), root


def test_a_faceless_middle_frame_leaves_every_other_value_on_its_own_frame(folders, capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("TALKBENCH_HOME", str(tmp_path / "home"))
    pred, gt, root = folders
    singles = []
    for k in (0, 2, 3):
        p, g = root / f"p{k}", root / f"g{k}"
        for src, dst in ((pred, p), (gt, g)):
            dst.mkdir(exist_ok=True)
            (dst / f"frame_{k:03d}.png").write_bytes((src / f"frame_{k:03d}.png").read_bytes())
        summary, _ = score_adhoc(AdhocConfig(p, g, (METRIC,)))
        singles.append(summary.metrics[METRIC].value)
    assert len(set(singles)) == 3 and None not in singles  # distinct per frame, so a shift would show
    code, out, err = run_cli(capsys, ["score", "--pred", str(pred), "--gt", str(gt), "--metrics", METRIC, "--json"])
    from talkbench.io.jsonfloat import loads

    data = loads(out)
    assert code == 1 and "Traceback" not in err
    assert data["metrics"][METRIC]["value"] == pytest.approx(np.mean(singles), rel=1e-9)
    assert data["metrics"][METRIC]["extra"]["frames"] == 3
    assert [(m["item"], m["metric"]) for m in data["missing"]] == [("pred/frame_001.png", METRIC)]
    assert "no face" in data["missing"][0]["reason"]
