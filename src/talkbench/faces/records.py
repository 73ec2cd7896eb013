"""What a face analysis stores per frame: a value (named arrays) or the reason it is missing."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class FrameRecord:
    """One analyser's result on one frame. Exactly one of `value` / `missing` is set."""

    value: dict[str, Any] | None = None
    missing: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if (self.value is None) == (self.missing is None):
            raise ValueError("a FrameRecord holds either a value or a missing reason")

    @property
    def ok(self) -> bool:
        return self.value is not None

    def __getitem__(self, key: str) -> Any:
        if self.value is None:
            raise KeyError(f"frame has no analysis result: {self.missing}")
        return self.value[key]

    @classmethod
    def missing_because(cls, reason: str) -> "FrameRecord":
        return cls(missing=reason)

    def to_json(self) -> dict[str, Any]:
        def enc(v: Any) -> Any:
            if isinstance(v, np.ndarray):
                return {"__array__": v.astype(np.float64).tolist()}
            if isinstance(v, (list, tuple)):
                return [enc(x) for x in v]
            if isinstance(v, dict):
                return {k: enc(x) for k, x in v.items()}
            if isinstance(v, np.generic):
                return v.item()
            return v

        return {"value": enc(self.value), "missing": self.missing, "meta": enc(self.meta)}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> "FrameRecord":
        def dec(v: Any) -> Any:
            if isinstance(v, dict):
                if set(v) == {"__array__"}:
                    return np.asarray(v["__array__"], dtype=np.float64)
                return {k: dec(x) for k, x in v.items()}
            if isinstance(v, list):
                return [dec(x) for x in v]
            return v

        return cls(value=dec(d["value"]), missing=d["missing"], meta=dec(d.get("meta") or {}))
