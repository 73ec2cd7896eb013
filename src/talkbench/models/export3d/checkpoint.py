"""The talkbench Export3D checkpoint container (no official weights exist: the authors released
neither code nor weights, so every file is talkbench-trained or random).

A `torch.save` zip file holding plain values only, read with `torch.load(weights_only=True)`:

    {"format": "talkbench-export3d", "version": 1,
     "stage": "clebs" | "generator" | "random",
     "config": Export3DConfig.to_dict(),
     "state_dict": {"network": {...}}            # stage generator / random: the whole Export3DNetwork
                 or {"expression_encoder": {...}, "image_encoder": {...}},   # stage clebs
     "talkbench": {"random_init": bool, "seed": int, "steps": int, "data": str, ...}}   # provenance
"""
from __future__ import annotations

import pickle
from dataclasses import dataclass, field
from pathlib import Path

import torch

from ...errors import InputError
from .config import Export3DConfig

FORMAT = "talkbench-export3d"
VERSION = 1
STAGES = ("clebs", "generator", "random")
FIX = "write one with `talkbench init-checkpoint --model export3d` or `talkbench fit --model export3d`"


@dataclass
class Export3DCheckpoint:
    stage: str
    config: Export3DConfig
    state_dict: dict
    provenance: dict = field(default_factory=dict)


def save_checkpoint(path, stage: str, config: Export3DConfig, state_dict: dict, provenance: dict | None = None) -> Path:
    if stage not in STAGES:
        raise ValueError(f"stage must be one of {STAGES}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"format": FORMAT, "version": VERSION, "stage": stage, "config": config.to_dict(),
                "state_dict": state_dict, "talkbench": dict(provenance or {})}, path)
    return path


def load_checkpoint(path, sha256: str | None = None) -> Export3DCheckpoint:
    from ...weights.store import check_sha256

    p = Path(path)
    if not p.is_file():
        raise InputError(p, "Export3D checkpoint not found", FIX)
    if sha256 is not None:
        check_sha256(p, sha256)
    try:
        raw = torch.load(p, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError) as exc:
        raise InputError(p, f"not a weights-only loadable torch file ({str(exc).splitlines()[0]})", FIX) from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise InputError(p, f"not a {FORMAT} container (no format key)", FIX)
    if raw.get("version") != VERSION:
        raise InputError(p, f"container version {raw.get('version')} is not {VERSION}", "re-export it with this talkbench")
    try:
        config = Export3DConfig.from_dict(raw["config"])
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(p, f"bad config in the container ({exc})", FIX) from None
    if raw.get("stage") not in STAGES:
        raise InputError(p, f"unknown stage {raw.get('stage')!r}", FIX)
    return Export3DCheckpoint(raw["stage"], config, raw["state_dict"], dict(raw.get("talkbench") or {}))
