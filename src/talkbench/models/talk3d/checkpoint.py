"""Talk3D's released checkpoint container (`trainer.Trainer.save_model_weights`), read and written.

A released file (`May_demo.pt`, `<epoch>_<iter>.pt`, `<epoch>_<iter>_tune.pt`) is a `torch.save` dict:
{deltaplane_predictor, blink_encoder, camera_encoder, audio_net, audio_att_net: state_dicts, null_vector:
tensor [1, 1, 64], epoch, iter, optimizer: a pickled Adam object, scheduler: a pickled StepLR object,
superresolution: GFPGANv1Clean (or EG3D SR) state_dict in `*_tune.pt` only}. The pickled optimiser makes
`torch.load(weights_only=True)` refuse the file, so it is read with talkbench's restricted unpickler
(`weights/pickle_reader.py`: no code runs; the optimiser becomes an inert record and is ignored).
Files talkbench writes store the optimiser/scheduler *state_dicts* instead (the released trainer's loader
falls back to `optimizer.load_state_dict(...)` for them), so they load with weights_only=True.
"""
from __future__ import annotations

import pickle
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from ...errors import InputError, MissingWeightsError

NETWORK_KEYS = ("deltaplane_predictor", "blink_encoder", "camera_encoder", "audio_net", "audio_att_net")
PROVENANCE_KEY = "talkbench"  # present only in files talkbench writes
RELEASE_URL = "https://github.com/cvlab-kaist/Talk3D (docs/download_models.md: May_demo.pt)"


@dataclass
class Talk3DCheckpoint:
    state_dict: dict[str, torch.Tensor]          # flat: "<network>.<key>" and "null_vector"
    superresolution: dict[str, torch.Tensor] | None = None
    epoch: int = 0
    iteration: int = 0
    provenance: dict[str, Any] = field(default_factory=dict)


def _read(path: Path) -> Any:
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:  # the released files pickle the Adam / StepLR objects
        from ...weights.pickle_reader import read_pickle

        return read_pickle(path)


def load_checkpoint(path: str | Path, sha256: str | None = None) -> Talk3DCheckpoint:
    from ...weights.store import check_sha256

    p = Path(path)
    if not p.is_file():
        raise MissingWeightsError(p.name, "talk3d", (RELEASE_URL,), str(p.parent))
    if sha256 is not None:
        check_sha256(p, sha256)
    ckpt = _read(p)
    if not isinstance(ckpt, dict) or not all(isinstance(ckpt.get(k), dict) for k in NETWORK_KEYS):
        missing = [k for k in NETWORK_KEYS if not isinstance(ckpt, dict) or not isinstance(ckpt.get(k), dict)]
        raise InputError(p, f"not a Talk3D checkpoint (no state_dict for {missing})",
                         "pass May_demo.pt or a checkpoint written by Talk3D's trainer / `talkbench fit --model talk3d`")
    flat = {f"{k}.{name}": t for k in NETWORK_KEYS for name, t in ckpt[k].items()}
    null = ckpt.get("null_vector")
    if not isinstance(null, torch.Tensor):
        raise InputError(p, "has no null_vector tensor", "pass a complete Talk3D checkpoint")
    flat["null_vector"] = null.detach()
    sr = ckpt.get("superresolution") if isinstance(ckpt.get("superresolution"), dict) else None
    prov = ckpt.get(PROVENANCE_KEY) if isinstance(ckpt.get(PROVENANCE_KEY), dict) else {}
    return Talk3DCheckpoint(flat, sr, int(ckpt.get("epoch") or 0), int(ckpt.get("iter") or 0), dict(prov))


def save_checkpoint(path: str | Path, state_dict: dict[str, torch.Tensor], epoch: int = 0, iteration: int = 0,
                    optimizer: dict | None = None, scheduler: dict | None = None,
                    superresolution: dict | None = None, provenance: dict | None = None) -> Path:
    """Write the released container from a flat Talk3DNetworks state_dict."""
    ckpt: dict[str, Any] = {k: {} for k in NETWORK_KEYS}
    for key, value in state_dict.items():
        if key == "null_vector":
            continue
        top, _, rest = key.partition(".")
        if top not in ckpt:
            raise ValueError(f"unexpected key {key!r} for the Talk3D container")
        ckpt[top][rest] = value
    ckpt.update(null_vector=state_dict["null_vector"].detach().clone(), epoch=int(epoch), iter=int(iteration),
                optimizer=optimizer, scheduler=scheduler)
    if superresolution is not None:
        ckpt["superresolution"] = superresolution
    if provenance:
        ckpt[PROVENANCE_KEY] = dict(provenance)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(ckpt, path)
    return path
