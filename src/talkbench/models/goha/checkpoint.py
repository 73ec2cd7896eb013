"""Reading and writing GOHA's released container (`src/logs/s3/checkpoint825000.ckpt`).

The file is a zip-format `torch.save` of {'iter': 825000, 'model_state_dict': Model.state_dict(),
'discriminator_dict': ...} (training_files/train_s2.py); the demo loads `model_state_dict` strictly.
We read it with `torch.load(weights_only=True)` (plain containers of tensors and numbers load that way);
a file needing arbitrary objects is refused with an explanation rather than unpickled.
"""
from __future__ import annotations

import re
from pathlib import Path

import torch

from ...errors import InputError, MissingWeightsError

RELEASE_URL = "https://drive.google.com/file/d/1Fiz_AddgbAinh2ZsRn3MwAR0Qcl4o60V"
RELEASE_FILE = "checkpoint825000.ckpt"
WEIGHTS_ID = "goha_stage2"  # weights catalog entry: `--checkpoint goha_stage2` finds the imported file
MODEL_KEY = "model_state_dict"
#: top-level key talkbench adds to containers it writes itself (never present in a released file)
PROVENANCE_KEY = "talkbench"


def _iteration(path: Path) -> int:
    m = re.search(r"(\d+)", path.stem)
    return int(m.group(1)) if m else -1


def resolve_checkpoint(path: str | Path) -> Path:
    """A file, a folder holding `checkpoint*.ckpt` (the highest iteration is taken), or the weights id
    `goha_stage2` (the file `talkbench weights import` installed)."""
    p = Path(path)
    if str(path) == WEIGHTS_ID and not p.exists():
        from ...weights.store import locate_weights

        return locate_weights(WEIGHTS_ID)
    if p.is_dir():
        found = sorted(p.glob("checkpoint*.ckpt"), key=_iteration)
        if not found:
            raise MissingWeightsError(RELEASE_FILE, "goha", (RELEASE_URL,), str(p))
        return found[-1]
    if not p.is_file():
        raise MissingWeightsError(p.name, "goha", (RELEASE_URL,), str(p.parent))
    return p


def load_release(path: str | Path, sha256: str | None = None) -> tuple[dict, dict]:
    """(model state_dict, provenance): provenance is {} for a released file, or what
    `save_release_container(..., provenance=...)` recorded (e.g. {"random_init": True, "seed": 0})."""
    from ...weights.store import load_checkpoint_file

    p = resolve_checkpoint(path)
    ckpt = load_checkpoint_file(p, sha256, "re-save it as {'iter': n, 'model_state_dict': model.state_dict()} in a "
                                "trusted environment")
    if isinstance(ckpt, dict) and isinstance(ckpt.get(MODEL_KEY), dict):
        provenance = ckpt.get(PROVENANCE_KEY) if isinstance(ckpt.get(PROVENANCE_KEY), dict) else {}
        return ckpt[MODEL_KEY], {**provenance, "iter": ckpt.get("iter")}
    raise InputError(p, f"no ckpt['{MODEL_KEY}'] in this file", f"pass the released GOHA {RELEASE_FILE}")


def save_release_container(state_dict: dict, path: str | Path, iteration: int = 0,
                           provenance: dict | None = None) -> Path:
    """Write a state_dict the way GOHA's trainer does (no discriminator); `provenance` (plain values)
    goes under PROVENANCE_KEY so that results can say where the weights came from."""
    ckpt = {"iter": int(iteration), MODEL_KEY: state_dict}
    if provenance:
        ckpt[PROVENANCE_KEY] = dict(provenance)
    path = Path(path)
    torch.save(ckpt, path)
    return path
