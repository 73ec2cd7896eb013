"""Registry of runnable models and baselines (`talkbench ls models`), lazily imported.

Built-in entries are name -> "module:Class" here (baselines live in talkbench.baselines, full models
in talkbench.models). A user's own model plugs in without editing talkbench: declare it in the
entry-point group ``talkbench.models`` of its package, or pass ``--model package.module:Class``.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from ..lazy import Registry, subclass_check
from .base import TalkingHeadModel

ENTRY_POINT_GROUP = "talkbench.models"

MODELS: Registry[type[TalkingHeadModel]] = Registry("model", {
    "source-copy": "talkbench.baselines.simple:SourceCopy",
    "gt-oracle": "talkbench.baselines.simple:GTOracle",
    "input-view": "talkbench.baselines.simple:InputView",
    "landmark-warp": "talkbench.baselines.landmark_warp:LandmarkWarp",
    "real3d-portrait": "talkbench.models.real3d_portrait.adapter:Real3DPortrait",
    "goha": "talkbench.models.goha.adapter:GOHA",
    "talk3d": "talkbench.models.talk3d.adapter:Talk3D",
    "export3d": "talkbench.models.export3d.adapter:Export3D",
    "lp3d": "talkbench.models.lp3d.adapter:LP3D",
    "coherent3d": "talkbench.models.coherent3d.adapter:Coherent3D",
}, group=ENTRY_POINT_GROUP, check=subclass_check(TalkingHeadModel, "model"), direct=True,
    hint="`talkbench ls models` lists them; your own model: --model package.module:Class.")


def get_model_class(name: str) -> type[TalkingHeadModel]:
    """A registered name, an entry point of `talkbench.models`, or "package.module:Class"."""
    return MODELS.load(name)


def model_target(name: str) -> str:
    """The importable "module:Class" of a model (what a worker process imports)."""
    target = MODELS.target(name)
    if isinstance(target, str):
        return target
    return f"{target.__module__}:{target.__qualname__}"


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
