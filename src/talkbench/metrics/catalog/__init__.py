"""Built-in metric names, one small module per family, each with ENTRIES = {name: Entry}.

Entries point at "module:Class" strings so that listing names never imports a backbone.
A family module is listed in FAMILIES; its metrics live in talkbench.metrics.<module>.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Entry:
    target: str  # "talkbench.metrics.psnr:PSNR"
    preset: dict[str, Any] = field(default_factory=dict)  # options fixed by this registered variant


FAMILIES: tuple[str, ...] = ("pixel", "multiview", "audio", "perceptual", "face", "temporal")
