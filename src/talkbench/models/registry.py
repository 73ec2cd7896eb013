"""Registry of runnable models and baselines (`talkbench ls models`), lazily imported.

Add an entry here: name -> "module:Class". Baselines live in talkbench.baselines, full models in
talkbench.models.
"""
from __future__ import annotations

from typing import Any

from ..lazy import load_target, lookup
from .base import TalkingHeadModel

MODELS: dict[str, str] = {
    "source-copy": "talkbench.baselines.simple:SourceCopy",
    "gt-oracle": "talkbench.baselines.simple:GTOracle",
    "input-view": "talkbench.baselines.simple:InputView",
    "landmark-warp": "talkbench.baselines.landmark_warp:LandmarkWarp",
    # filled by the baselines (issue 7) and models (issue 8) work, e.g.
    # "source-copy": "talkbench.baselines.source_copy:SourceCopy",
    "real3d-portrait": "talkbench.models.real3d_portrait.adapter:Real3DPortrait",
}


def get_model_class(name: str) -> type[TalkingHeadModel]:
    cls = load_target(lookup("model", name, MODELS, "`talkbench ls models` lists them."))
    if not (isinstance(cls, type) and issubclass(cls, TalkingHeadModel)):
        raise TypeError(f"model '{name}' must be a TalkingHeadModel subclass, got {cls!r}")
    return cls


def create_model(name: str, **config: Any) -> TalkingHeadModel:
    return get_model_class(name)(**config)


def model_rows() -> list[dict]:
    rows = []
    for name in sorted(MODELS):
        info = get_model_class(name).info
        rows.append({"name": name, "kind": info.kind, "description": info.description, "paper": info.paper})
    return rows
