"""Registry of runnable models and baselines (`talkbench ls models`), lazily imported.

Add an entry here: name -> "module:Class". Baselines live in talkbench.baselines, full models in
talkbench.models.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from ..lazy import load_target, lookup
from .base import TalkingHeadModel

MODELS: dict[str, str] = {
    "source-copy": "talkbench.baselines.simple:SourceCopy",
    "gt-oracle": "talkbench.baselines.simple:GTOracle",
    "input-view": "talkbench.baselines.simple:InputView",
    "landmark-warp": "talkbench.baselines.landmark_warp:LandmarkWarp",
    "real3d-portrait": "talkbench.models.real3d_portrait.adapter:Real3DPortrait",
    "lp3d": "talkbench.models.lp3d.adapter:LP3D",
    "coherent3d": "talkbench.models.coherent3d.adapter:Coherent3D",
}


def get_model_class(name: str) -> type[TalkingHeadModel]:
    cls = load_target(lookup("model", name, MODELS, "`talkbench ls models` lists them."))
    if not (isinstance(cls, type) and issubclass(cls, TalkingHeadModel)):
        raise TypeError(f"model '{name}' must be a TalkingHeadModel subclass, got {cls!r}")
    return cls


def check_model_options(name: str, options: dict[str, Any]) -> None:
    """Reject options the model's constructor does not take, before any item runs."""
    import inspect

    from ..errors import InputError

    init = get_model_class(name).__init__
    params = {} if init is object.__init__ else inspect.signature(init).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return
    accepted = sorted(k for k, p in params.items() if k != "self" and p.kind is not inspect.Parameter.VAR_POSITIONAL)
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise InputError(None, f"model '{name}' takes no option(s) {unknown}",
                         f"use one of {accepted}" if accepted else "drop --model-option")


def checkpoint_file(name: str, path) -> Path:
    """The file a model reads for `--checkpoint PATH` (a model may accept a folder and pick a file in it)."""
    resolve = getattr(get_model_class(name), "resolve_checkpoint", None)
    return Path(resolve(path)) if resolve is not None else Path(path)


def create_model(name: str, **config: Any) -> TalkingHeadModel:
    return get_model_class(name)(**config)


def model_rows() -> list[dict]:
    """One row per model; `parameter_table` holds its networks' per-module counts (empty: no weights)."""
    from .parameters import human_count

    rows = []
    for name in sorted(MODELS):
        cls = get_model_class(name)
        table = cls.parameter_table()
        rows.append({"name": name, "kind": cls.info.kind, "parameters": human_count(table[0]["parameters"]) if table else "-",
                     "description": cls.info.description, "paper": cls.info.paper, "parameter_table": table})
    return rows
