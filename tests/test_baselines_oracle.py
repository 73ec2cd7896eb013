"""gt-oracle as a check of the identity metric: its CSIM against the GT is the GT's self-similarity."""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("dlib", reason="the dlib extra is not installed")

from talkbench.benchmarks.mini.sources import photos, read_rgb  # noqa: E402
from talkbench.baselines.simple import GTOracle, SourceCopy  # noqa: E402
from talkbench.io.frameset import FrameSet
from talkbench.metrics.context import ItemContext  # noqa: E402
from talkbench.metrics.registry import get_metric  # noqa: E402


def _score(pred, gt, source):
    m = get_metric("csim_dlib")
    ctx = ItemContext("astronaut", FrameSet(pred), gt=FrameSet(gt), source=FrameSet([source]))
    return m.update_item(ctx).value


def test_oracle_csim_is_self_similarity_and_source_copy_is_lower():
    astronaut = read_rgb(next(p.path for p in photos() if p.name == "astronaut"))
    gt = [astronaut, np.ascontiguousarray(astronaut[:, ::-1])]  # a second, different GT frame (mirrored)
    oracle = GTOracle()
    pred = oracle.animate(oracle.prepare([astronaut]), gt=gt)
    assert _score(pred, gt, astronaut) == pytest.approx(1.0, abs=1e-6)
    copy = SourceCopy()
    lower = _score(copy.animate(copy.prepare([astronaut]), gt=gt), gt, astronaut)
    assert lower < 1.0 - 1e-4
