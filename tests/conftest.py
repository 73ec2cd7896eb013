from __future__ import annotations

import numpy as np
import pytest
from PIL import Image


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def write_frames(folder, frames):
    folder.mkdir(parents=True, exist_ok=True)
    for i, f in enumerate(frames):
        Image.fromarray(f).save(folder / f"frame_{i:03d}.png")
    return folder


@pytest.fixture
def frame_pair(tmp_path, rng):
    """Two folders of 5 random 48×40 RGB frames, the prediction a noisy copy of the GT."""
    gt = [rng.integers(0, 256, (40, 48, 3), dtype=np.uint8) for _ in range(5)]
    pred = [np.clip(g.astype(int) + rng.integers(-20, 21, g.shape), 0, 255).astype(np.uint8) for g in gt]
    return write_frames(tmp_path / "pred", pred), write_frames(tmp_path / "gt", gt), pred, gt
