"""Read the official checkpoint manifests (keys, shapes, sha256, parameter counts), kept in tests/data/checkpoints."""
from __future__ import annotations

import json
from pathlib import Path

MANIFEST_DIR = Path(__file__).resolve().parent / "data" / "checkpoints"


def manifest(name: str) -> dict:
    path = MANIFEST_DIR / f"{name}.json"
    return json.loads(path.read_text())


def manifest_shapes(name: str, with_nbt: bool = False) -> dict[str, tuple[int, ...]]:
    """{key: shape} of the official file; optionally with the separately listed num_batches_tracked keys."""
    m = manifest(name)
    shapes = {k: tuple(v) for k, v in m["state_dict"].items()}
    nbt = m.get("num_batches_tracked")
    if with_nbt and isinstance(nbt, dict):
        shapes.update({k: () for k in nbt.get("keys", [])})
    return shapes


def module_shapes(module, drop_nbt: bool = True) -> dict[str, tuple[int, ...]]:
    return {k: tuple(v.shape) for k, v in module.state_dict().items()
            if not (drop_nbt and k.endswith("num_batches_tracked"))}
