"""Rows for `talkbench ls metrics`: every registered metric's card."""
from __future__ import annotations

from .registry import REGISTRY


def metric_rows() -> list[dict]:
    rows = []
    for card in REGISTRY.cards():
        d = card.to_dict()
        d["arrow"] = card.arrow
        d["backbone"] = card.backbone.id if card.backbone else "—"
        d["card"] = card.to_dict()
        rows.append(d)
    return rows
