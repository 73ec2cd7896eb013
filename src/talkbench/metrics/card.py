"""Metric cards: what a number means, so that reports can print ↑/↓, bold the best and refuse to compare apples with pears."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from ..weights.spec import BackboneRef


class MetricKind(str, Enum):
    PAIRED_FRAME = "paired-frame"  # one value per (prediction, reference) frame pair
    SET_LEVEL = "set-level"  # one value per set of frames (FID, KID)
    AUDIO_VISUAL = "audio-visual"  # one value per video with its audio (LSE-C/D)
    TEMPORAL = "temporal"  # one value per clip from its frame series (identity drift, head motion, flicker)
    MULTIVIEW_MATRIX = "multiview-matrix"  # summaries of a T×N×N score matrix


@dataclass(frozen=True)
class MetricCard:
    name: str
    version: str
    higher_is_better: bool | None  # None: neither (e.g. an AV offset in frames)
    range: tuple[float | None, float | None]  # None = unbounded on that side
    unit: str
    kind: MetricKind
    inputs: tuple[str, ...]
    preprocessing: str
    description: str
    backbone: BackboneRef | None = None
    aggregation: str = "mean over frames"
    options: dict[str, Any] = field(default_factory=dict)
    references: tuple[str, ...] = ()

    @property
    def arrow(self) -> str:
        return {True: "↑", False: "↓", None: ""}[self.higher_is_better]

    def with_options(self, **changes: Any) -> "MetricCard":
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "higher_is_better": self.higher_is_better,
            "range": list(self.range),
            "unit": self.unit,
            "kind": self.kind.value,
            "inputs": list(self.inputs),
            "backbone": None if self.backbone is None else self.backbone.to_dict(),
            "preprocessing": self.preprocessing,
            "aggregation": self.aggregation,
            "options": dict(self.options),
            "description": self.description,
            "references": list(self.references),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "MetricCard":
        bb = d.get("backbone")
        return cls(
            name=d["name"], version=d["version"], higher_is_better=d["higher_is_better"],
            range=tuple(d["range"]), unit=d["unit"], kind=MetricKind(d["kind"]), inputs=tuple(d["inputs"]),
            preprocessing=d["preprocessing"], description=d.get("description", ""),
            backbone=None if bb is None else BackboneRef(**bb), aggregation=d.get("aggregation", ""),
            options=dict(d.get("options", {})), references=tuple(d.get("references", ())),
        )

    def is_better(self, a: float, b: float) -> bool:
        """True when value a is strictly better than b under this card's direction."""
        if self.higher_is_better is None:
            return False
        return a > b if self.higher_is_better else a < b
