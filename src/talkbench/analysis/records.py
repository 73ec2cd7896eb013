"""What an analysis stores per frame (pair, clip): a value (named arrays) or the reason it is missing."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


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
