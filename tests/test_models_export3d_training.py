"""Export3D training and running on the mini benchmark (slow: builds a small mini, trains on the CPU).

* CLeBS: a short seeded pre-training lowers the contrastive loss, and the learned expressions of the
  mini frames cluster less by identity than the raw expression coefficients (η², the share of the
  standardised features' variance explained by identity; the mini drives every identity with shared
  motion tracks, so identity is the nuisance here).
* Generator: a tiny network trained on same-identity pairs beats its initialisation on held-out frames.
* `talkbench fit` / `init-checkpoint` / `run --protocol mini-cross-id` end to end.
"""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

pytest.importorskip("mediapipe")

from talkbench.benchmarks.mini.build import MiniConfig, build_mini  # noqa: E402
from talkbench.cli import main  # noqa: E402
from talkbench.models.export3d.config import TINY  # noqa: E402
from talkbench.models.export3d.inputs import InputExtractor  # noqa: E402
from talkbench.models.export3d.training import (build_generator_network, evaluate_held_out, load_clips,  # noqa: E402
                                                pretrain_clebs, train_generator)

pytestmark = pytest.mark.slow
SMALL = MiniConfig(n_frames=16, size=128, mv_size=32)


@pytest.fixture(scope="module")
def mini_root(tmp_path_factory):
    return build_mini(tmp_path_factory.mktemp("mini"), SMALL)


@pytest.fixture(scope="module")
def clips(mini_root):
    torch.set_num_threads(1)
    return load_clips(mini_root, TINY.image_size, InputExtractor("mesh"), holdout=0.25)[0]


def identity_share_of_variance(x: np.ndarray, identities: np.ndarray) -> float:
    """η² = between-identity sum of squares / total sum of squares of the z-scored features."""
    z = (x - x.mean(0)) / (x.std(0) + 1e-8)
    between = sum((identities == i).sum() * (z[identities == i].mean(0) ** 2).sum() for i in np.unique(identities))
    return float(between / (z ** 2).sum())


def test_identity_share_of_variance_hand_computed():
    x = np.array([[0.0], [2.0], [4.0], [6.0]])
    ids = np.array(["a", "a", "b", "b"])  # z = (-3, -1, 1, 3)/√5: group means ∓2/√5, total 20/5 = 4
    assert identity_share_of_variance(x, ids) == pytest.approx((2 * 0.8 + 2 * 0.8) / 4.0)


def test_clebs_pretraining_lowers_the_loss_and_the_identity_clustering(clips):
    x = np.concatenate([c.expressions for c in clips])
    ids = np.concatenate([[c.identity] * len(c) for c in clips])
    model, losses = pretrain_clebs(TINY, clips, steps=300, seed=0, out=None)
    assert np.mean(losses[-30:]) < np.mean(losses[:30]) - 0.2
    with torch.no_grad():
        learned = model.expression_encoder(torch.as_tensor(x)).numpy()
    raw_share, learned_share = identity_share_of_variance(x, ids), identity_share_of_variance(learned, ids)
    print(f"identity share of variance: raw {raw_share:.3f}, CLeBS {learned_share:.3f}")
    assert learned_share < raw_share - 0.1


def test_fit_then_run_mini_cross_id_end_to_end(mini_root, tmp_path, capsys):
    torch.set_num_threads(1)
    out = tmp_path / "fit"
    assert main(["fit", "--model", "export3d", "--data", str(mini_root), "--out", str(out), "--steps", "4",
                 "--option", "preset=tiny", "--option", "clebs_steps=3", "--option", "identities=t1-a,t1-d",
                 "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["steps"] == 4 and report["checkpoint"].endswith("export3d.pt")
    assert any("CLeBS pre-training: 3 steps" in n for n in report["notes"])
    raw = torch.load(out / "export3d.pt", map_location="cpu", weights_only=True)
    assert raw["stage"] == "generator" and raw["talkbench"]["steps"] == 4 and raw["config"]["image_size"] == 64
    assert [json.loads(line)["step"] for line in (out / "fit_log.jsonl").read_text().splitlines()] == [0, 1, 2, 0, 1, 2, 3]

    from talkbench.protocols.runner import RunConfig, run_protocol

    summary = run_protocol(RunConfig(protocol="mini-cross-id", data=mini_root, out=tmp_path / "run", model="export3d",
                                     checkpoint=out / "export3d.pt", metrics=["psnr", "ssim"], limit=1))
    assert summary.counts == {"expected": 1, "evaluated": 1, "missing": 0}
    assert 0 < summary.metrics["psnr"].value < 40 and not summary.comparable
    reasons = " | ".join(summary.comparable_reasons)
    assert "never the authors'" in reasons and "weights trained by talkbench (4 steps" in reasons
    assert "image_size=64" in reasons and "not Deep3DFaceRecon" in reasons


def test_tiny_generator_beats_its_initialisation_on_held_out_frames(clips):
    """Same-identity pairs of two identities, the last quarter of every clip held out.

    Asserted: the training loss halves and the held-out PSNR gains 8 dB. AED is measured both ways
    (the mesh's aed_mediapipe where it finds a face in the outputs; dlib-68 points in the ground truth's
    box, defined for every frame) and printed, but not asserted: after a few CPU minutes the tiny
    network renders a blurred head in which neither reads an expression (docs/models.md, "Not reached")."""
    torch.set_num_threads(1)
    subset = [c for c in clips if c.identity in ("t1-a", "tom-hanks")]
    cfg = TINY.with_options(expression_encoder="e2e_lebs")
    torch.manual_seed(0)
    net = build_generator_network(cfg, subset, None, None)
    before = evaluate_held_out(net, subset)
    losses = train_generator(net, subset, steps=400, seed=0)
    after = evaluate_held_out(net, subset)
    print(f"held-out before {before}\nheld-out after {after}")
    assert np.mean(losses[-20:]) < 0.5 * np.mean(losses[:20])
    assert after.psnr > before.psnr + 8
    assert after.n_frames == before.n_frames == sum(len(c) - c.n_train for c in subset)
