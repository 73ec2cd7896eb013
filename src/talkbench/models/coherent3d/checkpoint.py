"""Coherent3D checkpoints: the trainer container (`ckpt['state_dict']['model']`) holding the whole network,
frozen LP3D included, with `ckpt['talkbench'] = {format, config, provenance}`. No official weights exist."""
from __future__ import annotations

from pathlib import Path

from ...errors import InputError
from ..real3d_portrait.checkpoint import load_release, save_release_container
from .config import Coherent3DConfig

FORMAT = "talkbench-coherent3d"


def load_coherent3d(path, sha256: str | None = None) -> tuple[dict, Coherent3DConfig, dict]:
    state, provenance = load_release(path, sha256)
    if provenance.get("format") != FORMAT or not isinstance(provenance.get("config"), dict):
        raise InputError(Path(path), "is not a Coherent3D checkpoint written by talkbench (no official weights exist)",
                         "train one with `talkbench fit --model coherent3d` or write one with `talkbench init-checkpoint --model coherent3d`")
    return state, Coherent3DConfig.from_dict(provenance["config"]), provenance


def save_coherent3d(state: dict, config: Coherent3DConfig, path, provenance: dict | None = None, global_step: int = 0) -> Path:
    return save_release_container(state, path, global_step,
                                  provenance={**(provenance or {}), "format": FORMAT, "config": config.to_dict()})
