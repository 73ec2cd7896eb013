"""Plain-data metric states to bytes and back, without pickle's code execution on load.

States hold None, bool, int, float, str, bytes, numpy arrays and scalars, torch tensors, and
lists / tuples / str-keyed dicts of those. They are written with `torch.save` and read with
`torch.load(weights_only=True)`, which refuses anything else; numpy arrays travel as tensors and
tuples as tagged lists, so a round trip gives back the same types and values.
"""
from __future__ import annotations

import io
import pickle
from typing import Any

import numpy as np
import torch

_ARRAY, _TUPLE, _SCALAR = "__ndarray__", "__tuple__", "__npscalar__"


def _encode(v: Any) -> Any:
    if isinstance(v, np.ndarray):
        if v.dtype == object:
            raise TypeError("object arrays cannot be stored in a metric state")
        return {_ARRAY: torch.from_numpy(np.ascontiguousarray(v).copy())}
    if isinstance(v, np.generic):
        return {_SCALAR: torch.from_numpy(np.asarray(v).reshape(1).copy())}
    if isinstance(v, tuple):
        return {_TUPLE: [_encode(x) for x in v]}
    if isinstance(v, list):
        return [_encode(x) for x in v]
    if isinstance(v, dict):
        if not all(isinstance(k, str) for k in v):
            raise TypeError("metric state dicts need str keys")
        return {k: _encode(x) for k, x in v.items()}
    if v is None or isinstance(v, (bool, int, float, str, bytes, torch.Tensor)):
        return v
    raise TypeError(f"{type(v).__name__} cannot be stored in a metric state")


def _decode(v: Any) -> Any:
    if isinstance(v, dict):
        if set(v) == {_ARRAY}:
            return v[_ARRAY].numpy()
        if set(v) == {_SCALAR}:
            return v[_SCALAR].numpy()[0]
        if set(v) == {_TUPLE}:
            return tuple(_decode(x) for x in v[_TUPLE])
        return {k: _decode(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_decode(x) for x in v]
    return v


def dumps(state: Any) -> bytes:
    buf = io.BytesIO()
    torch.save(_encode(state), buf)
    return buf.getvalue()


class StateFormatError(ValueError):
    """The bytes are not a state written by dumps() (corrupt, or a pickle with objects in it)."""


def loads(blob: bytes) -> Any:
    try:
        raw = torch.load(io.BytesIO(blob), map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError) as exc:
        raise StateFormatError(f"not a plain-data metric state ({(str(exc) or type(exc).__name__).splitlines()[0][:200]})") from None
    return _decode(raw)
