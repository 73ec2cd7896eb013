"""LP3D weights: out of a Real3D-Portrait checkpoint, or a talkbench LP3D container.

* Real3D-Portrait (`ckpt['state_dict']['model']`, the released secc2plane-torso layout): the image-to-plane
  network is `cano_img2plane_backbone.*`, the OSG decoder `decoder.*`, and the EG3D part of its HTB-SR
  `superresolution.block0.*` / `block1.*`; everything else (motion adapter, torso/background branches)
  is not LP3D and is left out.
* talkbench's own container (written by `init-checkpoint` / `fit`): the same trainer container with
  `ckpt['state_dict']['model']` = LP3DNetwork state and `ckpt['talkbench'] = {format, config, ...}`.
* Live3DPortrait's converted files (`encoder_render*.pt`, `ffhqrebalanced512-128.pth`): their key names are
  not established in the facts talkbench holds, so they are refused with that reason.
"""
from __future__ import annotations

from pathlib import Path

import torch

from ...errors import InputError
from ..real3d_portrait.checkpoint import load_release, save_release_container
from .config import LP3DConfig, preset

FORMAT = "talkbench-lp3d"
#: our prefix -> the Real3D-Portrait state_dict prefix holding the same tensors
REAL3D_PREFIXES = {"img2plane.": "cano_img2plane_backbone.", "decoder.": "decoder.", "superresolution.": "superresolution."}
REAL3D_MARKER = "cano_img2plane_backbone.low_reso_encoder.encoder.conv1.weight"
UNSUPPORTED = ("is neither a Real3D-Portrait checkpoint nor an LP3D container written by talkbench "
               "(Live3DPortrait's converted files are not readable: their key layout is not established)")


def real3d_to_lp3d(state: dict, keys, path: Path | str | None = None) -> dict:
    """Pick LP3D's tensors (`keys`: the LP3DNetwork state_dict names) out of a Real3D-Portrait state_dict."""
    out, missing = {}, []
    for k in keys:
        prefix = next(p for p in REAL3D_PREFIXES if k.startswith(p))
        src = REAL3D_PREFIXES[prefix] + k[len(prefix):]
        if src in state:
            out[k] = state[src]
        else:
            missing.append(src)
    if missing:
        raise InputError(path, f"this Real3D-Portrait checkpoint lacks {len(missing)} tensor(s) LP3D needs, e.g. {missing[:3]}",
                         "pass the released secc2plane_torso checkpoint")
    return out


def load_lp3d(path, sha256: str | None = None, child: str = "model") -> tuple[dict, LP3DConfig, dict]:
    """(state_dict in LP3DNetwork names, config, provenance) of a Real3D-Portrait or talkbench LP3D file."""
    from .network import LP3DNetwork

    state, provenance = load_release(path, sha256, child)
    if REAL3D_MARKER in state:
        cfg = preset("real3d")
        with torch.device("meta"):
            keys = list(LP3DNetwork(cfg).state_dict())
        return real3d_to_lp3d(state, keys, path), cfg, {**provenance, "source_layout": "real3d-portrait"}
    if provenance.get("format") == FORMAT and isinstance(provenance.get("config"), dict):
        return state, LP3DConfig.from_dict(provenance["config"]), provenance
    raise InputError(Path(path), UNSUPPORTED, "pass a Real3D-Portrait .ckpt or a file from `talkbench init-checkpoint --model lp3d`")


def save_lp3d(state: dict, config: LP3DConfig, path, provenance: dict | None = None, global_step: int = 0) -> Path:
    return save_release_container(state, path, global_step,
                                  provenance={**(provenance or {}), "format": FORMAT, "config": config.to_dict()})
