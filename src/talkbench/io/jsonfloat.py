"""Strict JSON with non-finite floats.

PSNR of identical frames is +inf and must be reported as such, but JSON has no infinity.
Non-finite floats are written as the strings "inf", "-inf" and "nan" and read back as floats
wherever a whole JSON value is one of those strings.
"""
from __future__ import annotations

import json
import math
import sys
from typing import Any

_NONFINITE = {"inf": math.inf, "-inf": -math.inf, "nan": math.nan}


def encode(obj: Any) -> Any:
    np = sys.modules.get("numpy")  # numpy values only exist once numpy is imported: never import it here (CLI start-up)
    if isinstance(obj, float) or (np is not None and isinstance(obj, np.floating)):
        f = float(obj)
        if math.isnan(f):
            return "nan"
        if math.isinf(f):
            return "inf" if f > 0 else "-inf"
        return f
    if np is not None and isinstance(obj, np.integer):
        return int(obj)
    if np is not None and isinstance(obj, np.ndarray):
        return encode(obj.tolist())
    if isinstance(obj, dict):
        return {str(k): encode(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [encode(v) for v in obj]
    return obj


def decode(obj: Any) -> Any:
    if isinstance(obj, str) and obj in _NONFINITE:
        return _NONFINITE[obj]
    if isinstance(obj, dict):
        return {k: decode(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [decode(v) for v in obj]
    return obj


def dumps(obj: Any, indent: int | None = None) -> str:
    return json.dumps(encode(obj), indent=indent, allow_nan=False, sort_keys=False)


def loads(text: str) -> Any:
    return decode(json.loads(text))
