"""The shared training loop: Adam steps on a known quadratic, StepLR, loss log, non-finite loss refusal."""
import json

import pytest
import torch

from talkbench.cli import main
from talkbench.errors import InputError
from talkbench.models.training import OptimiserConfig, optimise


def test_adam_on_a_quadratic_converges_and_logs(tmp_path):
    x = torch.nn.Parameter(torch.tensor([3.0, -2.0]))
    target = torch.tensor([1.0, 1.0])
    losses = optimise([x], lambda step: ((x - target) ** 2).sum(), steps=300,
                      optimiser=OptimiserConfig(lr=0.05, step_size=200, gamma=0.5), log_path=tmp_path / "log.jsonl")
    assert losses[0] == pytest.approx(13.0)
    assert losses[-1] < 1e-3
    rows = [json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert len(rows) == 300 and rows[0]["lr"] == pytest.approx(0.05) and rows[-1]["lr"] == pytest.approx(0.025)


def test_save_callback_every_k_steps():
    x = torch.nn.Parameter(torch.zeros(1))
    saved = []
    optimise([x], lambda s: (x - 1).pow(2).sum(), steps=7, optimiser=OptimiserConfig(lr=0.1), save=saved.append, save_every=3)
    assert saved == [3, 6]


def test_non_finite_loss_stops_with_the_step():
    x = torch.nn.Parameter(torch.ones(1))
    with pytest.raises(InputError, match="at step 2"):
        optimise([x], lambda s: x.sum() * (float("nan") if s == 2 else 1.0), steps=5, optimiser=OptimiserConfig(lr=0.1))


def test_fit_refuses_a_model_without_training(tmp_path, capsys):
    assert main(["fit", "--model", "source-copy", "--data", str(tmp_path), "--out", str(tmp_path / "o")]) == 2
    assert "not trainable" in capsys.readouterr().err
