"""Baselines through the identity metric: CSIM against the GT pools its frames, and a copy of the source scores
below 1 exactly where the GT moved away from the source."""
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


def test_source_copy_csim_is_the_mean_of_its_frames_and_below_one_where_the_gt_differs():
    astronaut = read_rgb(next(p.path for p in photos() if p.name == "astronaut"))
    mirrored = np.ascontiguousarray(astronaut[:, ::-1])
    gt = [astronaut, mirrored]  # the GT moves away from the source in its second frame only
    copy = SourceCopy()
    pred = copy.animate(copy.prepare([astronaut]), gt=gt)
    assert all(np.array_equal(p, astronaut) for p in pred)
    same = _score([astronaut], [astronaut], astronaut)
    moved = _score([astronaut], [mirrored], astronaut)
    assert same == pytest.approx(1.0, abs=1e-6) and moved < 1.0 - 1e-4
    assert _score(pred, gt, astronaut) == pytest.approx((same + moved) / 2, rel=1e-9)
    oracle = GTOracle()
    assert all(np.array_equal(p, g) for p, g in zip(oracle.animate(oracle.prepare([astronaut]), gt=gt), gt))
