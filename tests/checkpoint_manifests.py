"""Read the official checkpoint manifests in ../shared/checkpoints (skip when that folder is absent)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

MANIFEST_DIR = Path(__file__).resolve().parents[2] / "shared" / "checkpoints"


def manifest(name: str) -> dict:
    path = MANIFEST_DIR / f"{name}.json"
    if not path.is_file():
        pytest.skip(f"checkpoint manifest {path} is absent (the shared facts folder is not next to the repo)")
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
