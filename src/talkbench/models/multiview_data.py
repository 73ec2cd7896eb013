"""Multiview training data for LP3D / Coherent3D: synchronised views of one subject from N calibrated cameras.

`read_multiview(root)` reads the multiview layout talkbench writes for the mini benchmark
(`<root>/multiview/<subject>/<serial>/*.png` + `cameras.json`); any dataset the protocols can open
(NeRSemble v1/v2, ...) goes through its protocol adapter with `dataset=NAME` (`from_adapter`).
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


def from_adapter(dataset: str, root: str | Path, clip_ids: Sequence[str], serials: Sequence[str]) -> list[MultiviewClip]:
    """Clips of a dataset the protocols read (e.g. nersemble-v2), through its adapter."""
    from ..protocols.datasets import open_dataset  # the training entry point reads data as the protocols do
    from ..protocols.refs import Ref

    ds = open_dataset(dataset, root)
    out = []
    for clip in clip_ids:
        frames = {s: list(ds.frames(Ref(clip, "all", s)).arrays) for s in serials}
        mask_sets = {s: ds.masks(Ref(clip, "all", s)) for s in serials}
        masks = ({s: [m[..., 0] if m.ndim == 3 else m for m in mask_sets[s].arrays] for s in serials}
                 if all(m is not None for m in mask_sets.values()) else None)
        out.append(MultiviewClip(clip, list(serials), frames, {s: ds.camera(clip, s) for s in serials}, masks))
    return out


def load_training_clips(data: str | Path, options: dict) -> list[MultiviewClip]:
    """`talkbench fit` data for the multiview models: options `dataset` (default: the mini layout),
    `subjects` (comma list), `clips` / `serials` (comma lists, for adapter datasets)."""
    split = lambda v: [s for s in str(v).split(",") if s] if v else None  # noqa: E731
    dataset = options.get("dataset")
    if dataset in (None, "mini"):
        return read_multiview(data, split(options.get("subjects")))
    clips, serials = split(options.get("clips")), split(options.get("serials"))
    if not clips or not serials:
        raise InputError(None, f"training on dataset '{dataset}' needs the clips and cameras to use",
                         "add --option clips=ID,ID --option serials=S,S,...")
    return from_adapter(dataset, data, clips, serials)


def frame_indices(value, n_frames: int) -> list[int]:
    """A comma list of frame indices (negative counts from the end), or every frame."""
    if value in (None, "", "all"):
        return list(range(n_frames))
    out = [int(v) % n_frames if int(v) < 0 else int(v) for v in str(value).split(",") if v != ""]
    bad = [v for v in out if not 0 <= v < n_frames]
    if bad:
        raise InputError(None, f"frame indices {bad} are outside the clips' {n_frames} frames", "pick indices below the frame count")
    return out
