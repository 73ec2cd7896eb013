"""Multiview training data for LP3D / Coherent3D: synchronised views of one subject from N calibrated cameras.

`read_multiview(root)` reads the multiview layout talkbench writes for the mini benchmark
(`<root>/multiview/<subject>/<serial>/*.png` + `cameras.json`); any dataset the protocols can open
(NeRSemble v1/v2, ...) is read by its protocol adapter in `talkbench fit --option dataset=NAME`
(protocols/datasets/multiview_clips.py), which hands the clips over in `FitRequest.clips`.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from ..errors import InputError
from ..geometry import most_frontal
from ..io.atomic import read_json
from ..io.images import list_images, read_image_array
from .base import Camera


@dataclass
class MultiviewClip:
    name: str
    serials: list[str]
    frames: dict[str, list[np.ndarray]]  # serial -> T uint8 H×W×3 frames
    cameras: dict[str, Camera]
    masks: dict[str, list[np.ndarray]] | None = None  # serial -> T uint8 H×W foreground masks, where the data has them

    @property
    def n_frames(self) -> int:
        return len(self.frames[self.serials[0]])

    def frontal(self) -> str:
        """The rig's most frontal camera (viewing axis closest to the mean axis; first on ties)."""
        return self.serials[most_frontal([self.cameras[s].cam2world for s in self.serials])]


def read_multiview(root: str | Path, subjects: Sequence[str] | None = None) -> list[MultiviewClip]:
    base = Path(root) / "multiview"
    if not base.is_dir():
        raise InputError(Path(root), "has no multiview/ folder", "pass a mini benchmark build (`talkbench demo` makes one) or use dataset=NAME")
    clips = []
    for folder in sorted(p for p in base.iterdir() if p.is_dir()):
        if subjects and folder.name not in subjects:
            continue
        cams_path = folder / "cameras.json"
        if not cams_path.is_file():
            raise InputError(cams_path, "does not exist", "rebuild the multiview set")
        raw = read_json(cams_path)
        serials = sorted(raw)
        cameras = {s: Camera(np.asarray(raw[s]["cam2world"], dtype=np.float64), np.asarray(raw[s]["intrinsics"], dtype=np.float64),
                             raw[s].get("recipe", "opencv")) for s in serials}
        frames = {s: [read_image_array(p) for p in list_images(folder / s)] for s in serials}
        counts = {len(v) for v in frames.values()}
        if len(counts) != 1 or 0 in counts:
            raise InputError(folder, f"cameras hold different or zero frame counts {sorted(counts)}", "rebuild the multiview set")
        masks = None
        if all((folder / "masks" / s).is_dir() for s in serials):
            masks = {s: [read_image_array(p)[..., 0] for p in list_images(folder / "masks" / s)] for s in serials}
        clips.append(MultiviewClip(f"multiview/{folder.name}", serials, frames, cameras, masks))
    if not clips:
        raise InputError(base, "holds no subjects" + (f" named {list(subjects)}" if subjects else ""), "check the subjects option")
    return clips


def load_training_clips(request) -> list[MultiviewClip]:
    """The multiview clips of a FitRequest: those `talkbench fit` already read through a dataset adapter
    (`request.clips`), else the mini layout under `request.data` (option `subjects`: a comma list)."""
    if request.clips:
        return list(request.clips)
    dataset = request.options.get("dataset")
    if dataset not in (None, "mini"):
        raise InputError(None, f"dataset '{dataset}' is read by `talkbench fit --option dataset=...`, not by the model",
                         "run `talkbench fit`, or pass FitRequest(clips=...)")
    subjects = request.options.get("subjects")
    return read_multiview(request.data, [s for s in str(subjects).split(",") if s] if subjects else None)


def frame_indices(value, n_frames: int) -> list[int]:
    """A comma list of frame indices (negative counts from the end), or every frame."""
    if value in (None, "", "all"):
        return list(range(n_frames))
    out = [int(v) % n_frames if int(v) < 0 else int(v) for v in str(value).split(",") if v != ""]
    bad = [v for v in out if not 0 <= v < n_frames]
    if bad:
        raise InputError(None, f"frame indices {bad} are outside the clips' {n_frames} frames", "pick indices below the frame count")
    return out
