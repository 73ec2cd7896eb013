"""What every trainable model shares: the fit request, the report, and one seeded optimisation loop.

A model class becomes trainable by defining ``fit(cls, request: FitRequest) -> FitReport`` (a classmethod);
``talkbench fit --model NAME`` dispatches to it. The loop here does the common part: seeding, Adam with an
optional StepLR, per-step loss logging to ``<out>/fit_log.jsonl``, and periodic checkpoints written by the
model's own ``save`` callable (so each model keeps its released container format).
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import torch

from ..errors import InputError


@dataclass(frozen=True)
class FitRequest:
    """`talkbench fit` arguments, model-independent; `options` holds the model's own KEY=VALUE settings."""

    data: Path
    out: Path
    steps: int | None = None  # None: the model's configured number of steps
    seed: int = 0
    device: str = "cpu"
    init: Path | None = None  # a checkpoint to start from
    options: dict[str, Any] = field(default_factory=dict)
    #: training data already read through a protocol dataset adapter (multiview clips for `--option dataset=NAME`)
    clips: tuple = ()


@dataclass
class FitReport:
    checkpoint: Path
    steps: int
    losses: list[float]
    notes: list[str] = field(default_factory=list)  # what differs from the released recipe

    def to_dict(self) -> dict[str, Any]:
        return {"checkpoint": str(self.checkpoint), "steps": self.steps, "first_loss": self.losses[0] if self.losses else None,
                "last_loss": self.losses[-1] if self.losses else None, "notes": list(self.notes)}


@dataclass(frozen=True)
class OptimiserConfig:
    lr: float
    betas: tuple[float, float] = (0.9, 0.999)
    step_size: int | None = None  # StepLR period in steps (None: constant learning rate)
    gamma: float = 0.1


def optimise(params: Iterable[torch.nn.Parameter] | Iterable[dict], step_loss: Callable[[int], torch.Tensor],
             steps: int, optimiser: OptimiserConfig, log_path: Path | None = None,
             save: Callable[[int], None] | None = None, save_every: int | None = None) -> list[float]:
    """Run `steps` Adam steps on `step_loss(step)` (a scalar tensor); return the per-step losses.

    A non-finite loss stops training with an error naming the step, rather than writing a broken checkpoint.
    """
    opt = torch.optim.Adam(params, lr=optimiser.lr, betas=optimiser.betas)
    sched = torch.optim.lr_scheduler.StepLR(opt, optimiser.step_size, optimiser.gamma) if optimiser.step_size else None
    losses: list[float] = []
    log = log_path.open("a", encoding="utf-8") if log_path is not None else None
    try:
        for step in range(steps):
            opt.zero_grad(set_to_none=True)
            loss = step_loss(step)
            value = float(loss.detach())
            if not math.isfinite(value):
                raise InputError(None, f"training loss became {value} at step {step}", "lower the learning rate or check the data")
            loss.backward()
            opt.step()
            if sched is not None:
                sched.step()
            losses.append(value)
            if log is not None:
                log.write(json.dumps({"step": step, "loss": value, "lr": opt.param_groups[0]["lr"]}) + "\n")
            if save is not None and save_every and (step + 1) % save_every == 0:
                save(step + 1)
    finally:
        if log is not None:
            log.close()
    return losses


def seed_everything(seed: int) -> torch.Generator:
    """Seed torch's global RNG (module initialisation) and return a generator for data sampling."""
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)
