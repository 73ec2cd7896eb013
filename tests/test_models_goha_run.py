"""GOHA through the CLI and the protocol runner: `talkbench ls models` parameter table, a random-initialised
checkpoint in the released container (strict load, deterministic render), and a run whose summary says its
numbers are meaningless."""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from talkbench.cli import main
from talkbench.errors import InputError, MissingWeightsError, WeightsMismatchError
from talkbench.models.goha.checkpoint import load_release
from talkbench.models.registry import check_model_options, checkpoint_file

from tests.checkpoint_manifests import manifest


def test_ls_models_parameter_table_equals_the_manifest(capsys):
    assert main(["ls", "models", "--json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    table = {r["module"]: r["parameters"] for r in rows["goha"]["parameter_table"]}
    counts = manifest("goha_stage2")["param_counts"]
    expected = {f"goha.{k}": v for k, v in counts["top_level_parameters"].items() if v}
    expected.update({f"goha.neural_layers.gfpgan.{k}": v for k, v in counts["neural_layers.gfpgan"].items()
                     if k != "__total__"})
    expected["goha"] = 116_124_669
    assert {k: table[k] for k in expected} == expected
    assert rows["goha"]["parameters"] == "116.1M"


def test_unknown_option_is_refused_and_options_are_validated():
    check_model_options("goha", {"render_resolution": 64, "num_samples": 8, "output": "raw"})
    with pytest.raises(InputError, match="takes no option"):
        check_model_options("goha", {"render_res": 64})


@pytest.fixture(scope="module")
def random_checkpoint(tmp_path_factory):
    torch.set_num_threads(1)
    path = tmp_path_factory.mktemp("goha") / "s3" / "checkpoint825000.ckpt"
    assert main(["init-checkpoint", "--model", "goha", "--out", str(path), "--seed", "0"]) == 0
    return path


def test_random_checkpoint_is_the_released_container(random_checkpoint):
    raw = torch.load(random_checkpoint, map_location="cpu", weights_only=True)
    assert set(raw) == {"iter", "model_state_dict", "talkbench"} and raw["iter"] == 0
    assert len(raw["model_state_dict"]) == 1144
    with open(random_checkpoint, "rb") as f:  # zip-format torch.save, like the released trainer
        assert f.read(2) == b"PK"
    state, provenance = load_release(random_checkpoint.parent)  # a folder -> its highest checkpoint*.ckpt
    assert provenance == {"random_init": True, "seed": 0, "iter": 0}
    assert checkpoint_file("goha", random_checkpoint.parent) == random_checkpoint
    with pytest.raises(WeightsMismatchError):
        load_release(random_checkpoint, sha256="0" * 64)
    with pytest.raises(MissingWeightsError):
        load_release(random_checkpoint.parent / "absent.ckpt")


def test_random_checkpoint_loads_strictly_and_renders_bit_identically(random_checkpoint):
    from talkbench.models.components import cameras as cams
    from talkbench.models.goha.adapter import GOHA

    model = GOHA.from_checkpoint(random_checkpoint, render_resolution=16, num_samples=4)
    net = model.network
    raw = torch.load(random_checkpoint, map_location="cpu", weights_only=True)["model_state_dict"]
    loaded = net.state_dict()
    assert set(loaded) == set(raw) and not any(t.is_meta for t in loaded.values())
    for key in ("id_net.segformer.encoder.block.3.1.mlp.dense2.weight", "neural_layers.gfpgan.stylegan_decoder.noises.noise3",
                "face_parsing_net.cp.resnet.bn1.running_var", "uv"):
        assert torch.equal(loaded[key], raw[key])
    label = np.concatenate([cams.lookat_cam2world(math.pi / 2, math.pi / 2).ravel(), cams.normalized_intrinsics().ravel()])
    cam = torch.tensor(label, dtype=torch.float32)[None]
    planes = torch.randn(1, 3, 32, 256, 256, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        a = net.render(planes, cam, generator=torch.Generator().manual_seed(3))
        b = net.render(planes, cam, generator=torch.Generator().manual_seed(3))
    assert a["rgb_raw"].shape == (1, 3, 16, 16)
    assert torch.equal(a["features"], b["features"]) and torch.equal(a["depth"], b["depth"])
    notes = " | ".join(model.comparability_notes())
    assert "checkpoint825000.ckpt is a random initialisation written by talkbench (seed 0): numbers are meaningless" in notes
    assert "render_resolution=16" in notes and "num_samples_coarse=4" in notes


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


@pytest.mark.slow
def test_run_with_a_random_checkpoint_says_the_numbers_are_meaningless(random_checkpoint, tmp_path):
    pytest.importorskip("mediapipe")
    from talkbench.protocols.runner import RunConfig, run_protocol

    cfg = RunConfig(protocol="custom", data=_clip(tmp_path), out=tmp_path / "out", model="goha",
                    checkpoint=random_checkpoint, metrics=["psnr"],
                    model_config={"render_resolution": 16, "num_samples": 4})
    summary = run_protocol(cfg)
    assert summary.counts == {"expected": 1, "evaluated": 1, "missing": 0}
    assert np.isfinite(summary.metrics["psnr"].value)
    reasons = " | ".join(summary.comparable_reasons)
    assert not summary.comparable
    assert "random initialisation written by talkbench (seed 0): numbers are meaningless" in reasons
    assert "render_resolution=16" in reasons and "numbers are not the paper's" in reasons


@pytest.mark.slow
def test_adapter_on_a_real_face_is_deterministic_and_serves_novel_views():
    """Reduced network (tests/test_models_goha.TINY) through the adapter's offline mesh inputs."""
    pytest.importorskip("mediapipe")
    from PIL import Image
    from skimage import data

    from talkbench.models.components import cameras as cams
    from talkbench.models.base import Camera
    from talkbench.models.goha.adapter import GOHA

    from tests.test_models_goha import TINY

    torch.set_num_threads(1)
    face = np.asarray(Image.fromarray(data.astronaut()).crop((96, 0, 352, 256)))
    model = GOHA(config=TINY)
    state = model.prepare([face])
    assert torch.allclose(state.camera[0, 16:], torch.tensor([cams.EG3D_FOCAL, 0, 0.5, 0, cams.EG3D_FOCAL, 0.5, 0, 0, 1],
                                                              dtype=torch.float32))
    assert abs(state.camera[0, [3, 7, 11]].norm().item() - 2.7) < 1e-4  # goha recipe: radius 2.7, no offsets
    drv = [face, np.roll(face, 3, axis=1)]
    a, b = model.animate(state, drv), model.animate(state, drv)
    assert len(a) == 2 and a[0].shape == (256, 256, 3) and a[0].dtype == np.uint8
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    views = [Camera(cams.lookat_cam2world(math.pi / 2 + d, math.pi / 2), cams.normalized_intrinsics(), "goha")
             for d in (-0.3, 0.3)]
    novel = model.animate(state, cameras=views)
    assert len(novel) == 2 and not np.array_equal(novel[0], novel[1])
    raw = GOHA(config=TINY, output="raw", output_size=16)
    assert raw.animate(raw.prepare([face]), drv[:1])[0].shape == (16, 16, 3)
    assert any("output=raw" in n for n in raw.comparability_notes())
