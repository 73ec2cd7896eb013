"""Reading and writing the released trainer container (`ckpt['state_dict']['model']`).

The released `.ckpt` files are legacy (non-zip) `torch.save` pickles of
{epoch, global_step, checkpoint_callback_best, optimizer_states, state_dict: {child: state_dict}}.
We load them with `torch.load(weights_only=True)` (plain containers of tensors and numbers load
that way); a file that needs arbitrary objects is refused with an explanation rather than unpickled.
"""
from __future__ import annotations

from pathlib import Path

import torch

from ...errors import InputError, MissingWeightsError

RELEASE_FOLDER_URL = "https://drive.google.com/drive/folders/1MAveJf7RvJ-Opg1f5qhLdoRoC_Gc6nD9"


def resolve_checkpoint(path: str | Path) -> Path:
    """A file, or a folder holding `model_ckpt_steps_*.ckpt` (the latest step is taken, as upstream)."""
    p = Path(path)
    if p.is_dir():
        found = sorted(p.glob("model_ckpt_steps_*.ckpt"), key=lambda f: int(f.stem.rsplit("_", 1)[-1]))
        if not found:
            raise MissingWeightsError("model_ckpt_steps_*.ckpt", "real3d-portrait", (RELEASE_FOLDER_URL,), str(p))
        return found[-1]
    if not p.is_file():
        raise MissingWeightsError(p.name, "real3d-portrait", (RELEASE_FOLDER_URL,), str(p.parent))
    return p


#: top-level key talkbench adds to containers it writes itself (never present in a released file)
PROVENANCE_KEY = "talkbench"


def load_model_state(path: str | Path, sha256: str | None = None, child: str = "model") -> dict:
    return load_release(path, sha256, child)[0]


def load_release(path: str | Path, sha256: str | None = None, child: str = "model") -> tuple[dict, dict]:
    """(state_dict of `child`, provenance) — provenance is {} for a released file, or what
    `save_release_container(..., provenance=...)` recorded (e.g. {"random_init": True, "seed": 0})."""
    from ...weights.store import load_checkpoint_file

    p = resolve_checkpoint(path)
    ckpt = load_checkpoint_file(p, sha256, "re-save it as {'state_dict': {'model': model.state_dict()}} in a trusted "
                                "environment")
    if isinstance(ckpt, dict) and isinstance(ckpt.get("state_dict"), dict):
        sd = ckpt["state_dict"]
        provenance = ckpt.get(PROVENANCE_KEY) if isinstance(ckpt.get(PROVENANCE_KEY), dict) else {}
        if child in sd and isinstance(sd[child], dict):
            return sd[child], provenance
        prefix = child + "."
        flat = {k[len(prefix):]: v for k, v in sd.items() if k.startswith(prefix)}
        if flat:
            return flat, provenance
    raise InputError(p, f"no ckpt['state_dict']['{child}'] in this file", "pass the released Real3D-Portrait .ckpt")


def save_release_container(state_dict: dict, path: str | Path, global_step: int = 0, child: str = "model",
                           provenance: dict | None = None) -> Path:
    """Write a state_dict the way the official trainer does (legacy non-zip pickle); `provenance`
    (plain values) is stored under PROVENANCE_KEY so that results can say where the weights came from."""
    ckpt = {"epoch": 0, "global_step": int(global_step), "checkpoint_callback_best": float("inf"),
            "optimizer_states": [], "state_dict": {child: state_dict}}
    if provenance:
        ckpt[PROVENANCE_KEY] = dict(provenance)
    path = Path(path)
    torch.save(ckpt, path, _use_new_zipfile_serialization=False)
    return path
