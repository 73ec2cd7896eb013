"""Turning a manifest item into model inputs and a metric context, one builder per protocol task.

The builders are registered in TASKS (task name -> builder): `reenactment` (source → driving
frames, also reconstruction and audio-driven items), `nvs` (train views → a hold-out camera),
`multiview-nxn` (each of N views in → all N views out, frames ordered (t, i, j)).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ..errors import InputError
from ..geometry import most_frontal
from ..io.audio import AudioSpan
from ..io.frameset import FrameSet
from ..metrics.context import ItemContext
from ..models.base import Camera, ReconstructionModel
from .datasets.base import DatasetAdapter
from .refs import Ref


@dataclass
class ItemInputs:
    """What a model is given and what its output is compared with, for one item."""

    source: FrameSet
    target: FrameSet | None
    driving: FrameSet | None = None
    audio: Path | None = None
    masks: FrameSet | None = None
    generate: Callable[[Any], list[np.ndarray]] | None = None  # model -> predicted frames
    n_pred: int | None = None  # frames a prediction must have
    serials: list[str] = field(default_factory=list)  # multiview: the N cameras, in (i, j) order
    meta: dict[str, Any] = field(default_factory=dict)

    def context(self, item_id: str, pred: FrameSet, fps: float | None, analysis: Any) -> ItemContext:
        return ItemContext(item_id=item_id, pred=pred, gt=self.target, source=self.source, driving=self.driving,
                           masks=self.masks, audio=self.audio, fps=fps, analysis=analysis, meta=dict(self.meta))


def frames_digest(frames: FrameSet) -> str:
    """sha256 of decoded uint8 frames (shape and bytes, in order): changes when a re-download differs."""
    h = hashlib.sha256()
    for a in frames.arrays:
        h.update(repr(a.shape).encode())
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


def resized(frames: FrameSet, size: list[int] | None) -> FrameSet:
    """Frames at the protocol resolution [W, H] (Lanczos), unchanged when already there or when size is None."""
    if not size:
        return frames

    def load() -> list[np.ndarray]:
        from PIL import Image

        out = []
        for a in frames.arrays:
            if (a.shape[1], a.shape[0]) != tuple(size):
                a = np.asarray(Image.fromarray(a).resize(tuple(size), Image.LANCZOS))
            out.append(a)
        return out

    return FrameSet(load, frames.names, origin=frames.origin, fps=frames.fps)


def composited(frames: FrameSet, masks: FrameSet | None, background: str) -> FrameSet:
    """GT composited onto black / white with its alpha maps for matted protocols (full: unchanged)."""
    if background == "full" or masks is None:
        return frames
    colour = 255.0 if background == "matted_white" else 0.0

    def load() -> list[np.ndarray]:
        out = []
        for a, m in zip(frames.arrays, masks.arrays):
            alpha = m[..., :1].astype(np.float64) / 255.0
            out.append(np.round(a * alpha + colour * (1 - alpha)).astype(np.uint8))
        return out

    return FrameSet(load, frames.names, origin=frames.origin, fps=frames.fps)


def _ref(item: dict, role: str) -> Ref | None:
    return Ref.parse(item.get(role))


def _adapter(adapters: dict[str, DatasetAdapter], ref: Ref, default: str) -> DatasetAdapter:
    name = ref.dataset or default
    if name not in adapters:
        raise InputError(None, f"this item reads dataset '{name}' but no root was given for it", f"pass --data {name}=ROOT")
    return adapters[name]


def reenactment(item: dict, adapters: dict[str, DatasetAdapter], dataset: str) -> ItemInputs:
    size, cc = item.get("resolution"), item.get("color_correction")

    def load(role: str) -> FrameSet | None:
        r = _ref(item, role)
        return None if r is None else resized(_adapter(adapters, r, dataset).frames(r, cc), size)

    source, driving, target = load("source"), load("driving"), load("target")
    audio_ref = _ref(item, "audio")
    audio, audio_span, meta = None, None, {}
    if audio_ref is not None:
        ds = _adapter(adapters, audio_ref, dataset)
        audio = ds.audio(audio_ref)
        span = ds.frames(audio_ref)
        meta["audio_frames"] = [span.names[0], span.names[-1]] if len(span) else []
        meta["audio_fps"] = span.fps
        if len(span) and audio is not None:  # what an audio-driven model hears: the audio under the span's frames
            audio_span = AudioSpan(audio, int(span.names[0].rsplit("_", 1)[-1]), len(span), span.fps or 25.0)
    masks = None
    if target is not None and item.get("background", "full") != "full":
        r = _ref(item, "target")
        masks = _adapter(adapters, r, dataset).masks(r)
        target = composited(target, masks, item["background"])
    n_pred = len(target) if target is not None else len(driving) if driving is not None else None

    def generate(model) -> list[np.ndarray]:
        state = model.prepare(source.arrays)
        needs = getattr(model, "needs", ("driving",))
        return model.animate(state, driving=driving.arrays if driving is not None else None, cameras=None,
                             audio=audio_span if audio_span is not None else audio,
                             gt=target.arrays if ("gt" in needs and target is not None) else None)

    return ItemInputs(source, target, driving, audio, masks, generate, n_pred, meta=meta)


def _views(item: dict, role: str, adapter: DatasetAdapter) -> tuple[Ref, list[str], dict[str, FrameSet]]:
    r = _ref(item, role)
    serials = list(r.serials or ([r.camera] if r.camera else []))
    sets = {s: resized(adapter.frames(Ref(r.clip, r.frames, s), item.get("color_correction")), item.get("resolution"))
            for s in serials}
    return r, serials, sets


def nvs(item: dict, adapters: dict[str, DatasetAdapter], dataset: str) -> ItemInputs:
    ds = adapters[dataset]
    _, train, src = _views(item, "source", ds)
    cam_ref, targets, _ = _views(item, "cameras", ds)
    tref = _ref(item, "target")
    target = resized(ds.frames(tref, item.get("color_correction")), item.get("resolution"))
    masks = ds.masks(tref)
    cameras = [ds.camera(cam_ref.clip, s) for s in targets]
    first = src[train[0]]
    source = FrameSet(lambda: [src[s].arrays[0] for s in train], [f"view_{s}" for s in train])

    def generate(model) -> list[np.ndarray]:
        out = []
        for t in range(len(first)):
            state = model.prepare([src[s].arrays[t] for s in train])
            out += list(model.animate(state, cameras=cameras))
        return out

    return ItemInputs(source, target, None, None, masks, generate, len(target) * len(targets), serials=targets)


def multiview_nxn(item: dict, adapters: dict[str, DatasetAdapter], dataset: str) -> ItemInputs:
    ds = adapters[dataset]
    cam_ref, serials, views = _views(item, "target", ds)
    n, T = len(serials), len(views[serials[0]])
    cameras = [ds.camera(cam_ref.clip, s) for s in serials]
    order = [(t, i, j) for t in range(T) for i in range(n) for j in range(n)]
    names = [f"t{t:03d}_in{serials[i]}_out{serials[j]}" for t, i, j in order]
    target = FrameSet(lambda: [views[serials[j]].arrays[t] for t, _, j in order], names)
    mask_sets = {s: ds.masks(Ref(cam_ref.clip, cam_ref.frames, s)) for s in serials}
    masks = None
    if all(m is not None for m in mask_sets.values()):
        masks = FrameSet(lambda: [mask_sets[serials[j]].arrays[t] for t, _, j in order], names)
    source = FrameSet(lambda: [views[s].arrays[0] for s in serials], [f"view_{s}" for s in serials])

    # the near-frontal reference image reconstruction models such as Coherent3D get: the item's
    # `reference_camera`, else the rig's most frontal camera, at the first frame
    ref_serial = item.get("reference_camera") or serials[most_frontal([c.cam2world for c in cameras])]

    def generate(model) -> list[np.ndarray]:
        if isinstance(model, ReconstructionModel):
            reference = views[ref_serial].arrays[0] if model.uses_reference else None
            return nxn_renders(model, [views[s].arrays for s in serials], cameras, reference)
        out = []
        for t in range(T):
            for i in range(n):
                state = model.prepare([views[serials[i]].arrays[t]])
                out += list(model.animate(state, cameras=cameras))
        return out

    return ItemInputs(source, target, None, None, masks, generate, len(order), serials=serials,
                      meta={"nxn": {"T": T, "N": n, "serials": serials, "reference": ref_serial}})


def nxn_renders(model: ReconstructionModel, videos: list[list[np.ndarray]], cameras: list[Camera],
                reference: np.ndarray | None) -> list[np.ndarray]:
    """Renders ordered (t, i, j): input camera i's video reconstructed in temporal order (one
    `reconstruct_video` per camera, so recurrent models see a monocular video), every state rendered at all cameras."""
    per: dict[tuple[int, int], list[np.ndarray]] = {}
    for i, video in enumerate(videos):
        for t, state in enumerate(model.reconstruct_video(video, reference)):
            frames = list(model.render(state, cameras))
            if len(frames) != len(cameras):
                raise ValueError(f"{model.info.name} rendered {len(frames)} frames for {len(cameras)} cameras")
            per[t, i] = frames
    return [f for t in range(len(videos[0])) for i in range(len(videos)) for f in per[t, i]]


TASKS: dict[str, Callable[[dict, dict[str, DatasetAdapter], str], ItemInputs]] = {
    "reenactment": reenactment, "nvs": nvs, "multiview-nxn": multiview_nxn,
}
