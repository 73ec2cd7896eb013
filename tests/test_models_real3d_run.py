"""Real3D-Portrait through the protocol runner: `talkbench ls models` parameter table, a random-initialised
checkpoint in the released container, and a run whose summary says its numbers are meaningless."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from talkbench.cli import main
from talkbench.errors import InputError
from talkbench.models.registry import check_model_options
from talkbench.models.real3d_portrait.checkpoint import load_release

from tests.checkpoint_manifests import MANIFEST_DIR

MANIFEST = MANIFEST_DIR / "real3dportrait_secc2plane_torso_orig.json"


def _manifest_counts() -> dict[str, int]:
    counts = json.loads(MANIFEST.read_text())["param_counts"]
    out = {f"secc2plane_torso.{k}": v for k, v in counts["top_level"].items() if v}
    for group, prefix in (("I2P cano_img2plane_backbone", "cano_img2plane_backbone"),
                          ("motion_adapter secc_img2plane_backbone", "secc_img2plane_backbone"),
                          ("superresolution", "superresolution")):
        out.update({f"secc2plane_torso.{prefix}.{k}": v for k, v in counts[group].items() if k != "__total__"})
    out["secc2plane_torso"] = counts["total_parameters"]
    return out


def test_ls_models_parameter_table_equals_the_official_counts(capsys):
    assert main(["ls", "models", "--json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    table = {r["module"]: r["parameters"] for r in rows["real3d-portrait"]["parameter_table"]}
    expected = _manifest_counts()
    lambdas = {k for k in expected if "lambda_pertube" in k}  # bare parameters, not sub-modules
    assert {k: table[k] for k in expected.keys() - lambdas} == {k: v for k, v in expected.items() if k not in lambdas}
    assert table["audio2secc_vae"] == 11_864_064
    assert rows["real3d-portrait"]["parameters"] == "148.0M" and rows["source-copy"]["parameter_table"] == []
    assert main(["ls", "models"]) == 0
    text = capsys.readouterr().out
    assert "real3d-portrait parameters" in text and "148019272" in text


def test_unknown_model_option_is_refused_before_running():
    check_model_options("real3d-portrait", {"num_samples": 4, "image_size": 256})
    with pytest.raises(InputError, match=r"takes no option\(s\) \['num_sample'\]"):
        check_model_options("real3d-portrait", {"num_sample": 4})
    with pytest.raises(InputError, match="drop --model-option"):
        check_model_options("source-copy", {"x": 1})


@pytest.fixture(scope="module")
def random_checkpoint(tmp_path_factory):
    path = tmp_path_factory.mktemp("ckpt") / "model_ckpt_steps_100000.ckpt"
    assert main(["init-checkpoint", "--model", "real3d-portrait", "--out", str(path), "--seed", "0"]) == 0
    return path


def test_a_checkpoint_folder_resolves_to_its_latest_step_file(random_checkpoint, tmp_path):
    from talkbench.models.registry import checkpoint_file

    folder = tmp_path / "secc2plane_torso_orig"
    folder.mkdir()
    for step in (9000, 100000, 20000):
        (folder / f"model_ckpt_steps_{step}.ckpt").write_bytes(b"")
    assert checkpoint_file("real3d-portrait", folder) == folder / "model_ckpt_steps_100000.ckpt"
    assert checkpoint_file("real3d-portrait", random_checkpoint) == random_checkpoint
    assert checkpoint_file("source-copy", folder) == folder  # models without a checkpoint format: as given


def test_random_checkpoint_is_in_the_released_container(random_checkpoint):
    raw = torch.load(random_checkpoint, map_location="cpu", weights_only=True)
    assert set(raw) == {"epoch", "global_step", "checkpoint_callback_best", "optimizer_states", "state_dict", "talkbench"}
    state, provenance = load_release(random_checkpoint)
    assert provenance == {"random_init": True, "seed": 0} and len(state) == 1030
    with open(random_checkpoint, "rb") as f:  # legacy (non-zip) torch.save, like the official trainer
        assert f.read(2) != b"PK"


def _clip(tmp_path: Path) -> Path:
    """A custom-protocol clip: frame 0 (the source) and one driving / ground-truth frame, 256²."""
    from PIL import Image
    from skimage import data

    face = Image.fromarray(data.astronaut()).crop((96, 0, 352, 256))
    clip = tmp_path / "clips" / "astro"
    clip.mkdir(parents=True)
    face.save(clip / "0.png")
    Image.fromarray(np.roll(np.asarray(face), 3, axis=1)).save(clip / "1.png")
    return tmp_path / "clips"


def test_run_with_a_random_checkpoint_says_the_numbers_are_meaningless(random_checkpoint, tmp_path):
    pytest.importorskip("mediapipe")
    from talkbench.protocols.runner import RunConfig, run_protocol
    from talkbench.results.store import load_items

    torch.set_num_threads(1)
    cfg = RunConfig(protocol="custom", data=_clip(tmp_path), out=tmp_path / "out", model="real3d-portrait",
                    checkpoint=random_checkpoint, metrics=["psnr"],
                    model_config={"image_size": 256, "neural_rendering_resolution": 16, "num_samples": 4})
    summary = run_protocol(cfg)
    assert summary.counts == {"expected": 1, "evaluated": 1, "missing": 0}
    psnr = summary.metrics["psnr"]
    assert psnr.n == 1 and np.isfinite(psnr.value) and 0 < psnr.value < 40
    reasons = " | ".join(summary.comparable_reasons)
    assert not summary.comparable
    assert "model_ckpt_steps_100000.ckpt is a random initialisation written by talkbench (seed 0): numbers are meaningless" in reasons
    assert "neural_rendering_resolution=16" in reasons and "num_samples_coarse=4" in reasons
    assert "numbers are not the paper's" in reasons  # the offline pre-processing substitution
    assert summary.model["checkpoint_sha256"] and len(load_items(tmp_path / "out")) == 1
