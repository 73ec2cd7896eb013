"""Multiview training clips (LP3D / Coherent3D `talkbench fit --option dataset=NAME`) read through a dataset adapter."""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

from ...errors import InputError
from ...models.multiview_data import MultiviewClip
from ..refs import Ref
from . import open_dataset


def read_clips(dataset: str, root: str | Path, clip_ids: Sequence[str], serials: Sequence[str]) -> list[MultiviewClip]:
    """Every frame of each clip at each camera serial, with the adapter's cameras and (where it has them) masks."""
    if not clip_ids or not serials:
        raise InputError(None, f"training on dataset '{dataset}' needs the clips and cameras to use",
                         "add --option clips=ID,ID --option serials=S,S,...")
    ds = open_dataset(dataset, root)
    out = []
    for clip in clip_ids:
        frames = {s: list(ds.frames(Ref(clip, "all", s)).arrays) for s in serials}
        mask_sets = {s: ds.masks(Ref(clip, "all", s)) for s in serials}
        masks = ({s: [m[..., 0] if m.ndim == 3 else m for m in mask_sets[s].arrays] for s in serials}
                 if all(m is not None for m in mask_sets.values()) else None)
        out.append(MultiviewClip(clip, list(serials), frames, {s: ds.camera(clip, s) for s in serials}, masks))
    return out
