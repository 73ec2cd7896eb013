"""Core self-check: scores a synthetic prediction against its reference and checks known values."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from PIL import Image

from .results.store import write_results
from .scoring import ScoreConfig, score_pair


def _write_frames(folder: Path, frames: list[np.ndarray]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i, f in enumerate(frames):
        Image.fromarray(f).save(folder / f"{i:04d}.png")


def run_selfcheck(out: Path) -> list[dict]:
    rng = np.random.default_rng(0)
    gt = [rng.integers(0, 256, (64, 64, 3), dtype=np.uint8) for _ in range(4)]
    # every pixel off by exactly 2 levels: MSE = (2/255)^2, PSNR = 20·log10(255/2)
    for g in gt:
        g[g > 253] = 253
    pred = [g + 2 for g in gt]
    _write_frames(out / "selfcheck" / "gt", gt)
    _write_frames(out / "selfcheck" / "pred", pred)
    summary, records = score_pair(ScoreConfig(out / "selfcheck" / "pred", out / "selfcheck" / "gt", ("psnr", "l1", "mse")))
    write_results(out / "selfcheck" / "results", summary, records)
    expect = {"psnr": 20 * math.log10(255 / 2), "l1": 2 / 255, "mse": (2 / 255) ** 2}
    return [{"check": k, "value": summary.metrics[k].value, "expected": v,
             "ok": abs(summary.metrics[k].value - v) < 1e-9} for k, v in expect.items()]
