"""Metric states round-trip through io/state_codec exactly, and a pickle payload is refused on load."""
from __future__ import annotations

import io
import pickle

import numpy as np
import pytest
import torch

from talkbench.io.state_codec import StateFormatError, dumps, loads


class _Boom:
    def __reduce__(self):
        return (print, ("this must never run",))


def test_round_trip_keeps_types_and_values():
    state = {"sum": np.arange(6, dtype=np.float64).reshape(2, 3), "n": np.int64(7), "mean": np.float32(0.5),
             "pair": (1, "a", None), "rows": [b"raw", True, 2.5, torch.arange(3)], "nested": {"x": [np.ones(2, np.uint8)]}}
    back = loads(dumps(state))
    assert back["sum"].dtype == np.float64 and np.array_equal(back["sum"], state["sum"])
    assert back["n"] == 7 and isinstance(back["n"], np.int64) and isinstance(back["mean"], np.float32)
    assert back["pair"] == (1, "a", None) and isinstance(back["pair"], tuple)
    assert back["rows"][:3] == [b"raw", True, 2.5] and torch.equal(back["rows"][3], torch.arange(3))
    assert back["nested"]["x"][0].dtype == np.uint8


def test_objects_are_refused_both_ways():
    with pytest.raises(TypeError, match="cannot be stored"):
        dumps({"x": object()})
    with pytest.raises(TypeError, match="object arrays"):
        dumps({"x": np.array([object()])})
    buf = io.BytesIO()
    torch.save({"x": _Boom()}, buf)  # what a tampered .state file could hold
    with pytest.raises(StateFormatError, match="not a plain-data metric state"):
        loads(buf.getvalue())
    with pytest.raises(StateFormatError):
        loads(pickle.dumps({"x": 1}, protocol=2))
    with pytest.raises(StateFormatError):
        loads(b"")
