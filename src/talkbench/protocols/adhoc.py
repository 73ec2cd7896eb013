"""Ad-hoc runs (`talkbench score`, `talkbench.score(...)`): one item built from the command line, scored
by the protocol runner's own path (`evaluate.score_item`, `runner.summarize_metrics`).

The item is the prediction (a video or a frame folder) with, as its references, the ground truth
(`--gt`, paired by frame index / natural-sorted file name), GT alpha masks (`--mask`) and the driving
audio (`--audio`, default the video's own track). A frame that cannot be decoded, or whose size
differs from its ground truth, is listed as missing with the file's name and left out, never scored
as 0. Unlike a protocol run, a metric whose official weights are missing stops the run
(MissingWeightsError, exit 2, naming `talkbench weights import`); `random_init_weights=True` runs a
random-initialised network instead and marks the result as a pipeline check only.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..errors import InputError, MissingWeightsError
from ..io.frames import open_frames
from ..io.frameset import FrameSet
from ..io.hashing import sha256_file
from ..metrics.card import MetricKind
from ..metrics.pixel import PixelMetric
from ..metrics.registry import REGISTRY
from ..results.summary import ItemRecord, MissingItem, RunSummary
from .evaluate import frame_analysis, score_item
from .inputs import ItemInputs
from .runner import summarize_metrics
from .spec import MetricEntry

#: metric kinds an ad-hoc item can be scored with, and whether they compare against --gt
NEEDS_GT: dict[MetricKind, bool] = {MetricKind.PAIRED_FRAME: True, MetricKind.SET_LEVEL: True,
                                    MetricKind.AUDIO_VISUAL: False, MetricKind.TEMPORAL: False}
RANDOM_INIT = "random-init"


@dataclass
class AdhocConfig:
    pred: Path
    gt: Path | None = None
    metrics: Sequence[str] = ("psnr", "ssim", "l1")
    mask: Path | None = None  # folder of GT alpha masks (same order as gt), for masked variants
    audio: Path | None = None  # audio-visual metrics: default the prediction's own audio track
    fps: float | None = None  # a frame folder's frame rate (videos carry their own)
    options: dict[str, dict[str, Any]] = field(default_factory=dict)  # per-metric options
    random_init_weights: bool = False  # pipeline check: random-initialised networks, never comparable


def expand_names(names: Sequence[str]) -> list[str]:
    """Metric names with audio groups (`lse`, `lse_fullframe`, `mouth-audio`) expanded, order kept."""
    from ..metrics.catalog.audio import GROUPS

    out: list[str] = []
    for n in names:
        for m in GROUPS.get(n, (n,)):
            if m not in out:
                out.append(m)
    return out


def metric_entries(cfg: AdhocConfig, reasons: list[str]) -> list[MetricEntry]:
    entries, random_init = [], []
    for name in expand_names(cfg.metrics):
        cls, _ = REGISTRY.resolve(name)
        kind = cls.card.kind
        if kind not in NEEDS_GT:
            raise InputError(None, f"metric '{name}' is {kind.value}, which one ad-hoc item cannot give",
                             "use `talkbench score-matrix` or `talkbench run` with a multiview protocol")
        if NEEDS_GT[kind] and cfg.gt is None:
            raise InputError("--gt", f"is required for {kind.value} metrics such as '{name}'",
                             "pass --gt, or score audio-visual metrics such as lse without it")
        options = dict(cfg.options.get(name, {}))
        region = {**cls.defaults, **REGISTRY.resolve(name)[1], **options}.get("region", "full")
        if issubclass(cls, PixelMetric) and region != "full" and cfg.mask is None:
            raise InputError("--mask", f"is required by metric '{name}' ({region}): it weighs pixels with the GT alpha masks",
                             "pass --mask FOLDER (one alpha mask per GT frame), or use the unmasked metric")
        if cfg.random_init_weights and "weights" in cls.defaults:
            options["weights"] = RANDOM_INIT
            random_init.append(name)
        entries.append(MetricEntry(name, options))
    if random_init:
        note = (f"--random-init-weights: {', '.join(random_init)} ran on RANDOM-INITIALISED networks, so their values "
                "only check the pipeline and are NOT comparable")
        reasons.append(note)
        print(f"talkbench: warning: {note}", file=sys.stderr)
    return entries


def paired_frames(pred_path: Path, gt_path: Path | None) -> tuple[FrameSet, FrameSet | None, list[tuple[str, str]], list[int]]:
    """(prediction, ground truth) over the frames both decode at the same size, the (frame, reason) pairs
    left out, and the kept frame indices."""
    pred_src = open_frames(pred_path)
    gt_src = open_frames(gt_path) if gt_path is not None else None
    if len(pred_src) == 0:
        raise InputError(pred_path, "holds no frames", "pass a folder of images or a video")
    if gt_src is not None and len(pred_src) != len(gt_src):
        raise InputError(pred_path, f"has {len(pred_src)} frames but {gt_path} has {len(gt_src)}",
                         "pass prediction and ground truth with the same number of frames (they pair by sorted name / index)")
    pred, gt, names, left_out, kept = [], [], [], [], []
    for p, g in zip(pred_src, gt_src if gt_src is not None else [None] * len(pred_src)):
        bad = p if p.error else g if g is not None and g.error else None
        if bad is not None:
            left_out.append((p.name, bad.error))
            continue
        if g is not None and p.array.shape != g.array.shape:
            left_out.append((p.name, f"{p.path} is {p.array.shape[1]}×{p.array.shape[0]} but {g.path} is "
                                     f"{g.array.shape[1]}×{g.array.shape[0]}; resize the prediction to the GT size"))
            continue
        pred.append(p.array)
        names.append(p.name)
        kept.append(p.index)
        if g is not None:
            gt.append(g.array)
    fps = getattr(pred_src, "info", {}).get("fps")
    return (FrameSet(pred, names, str(pred_path), fps), FrameSet(gt, names, str(gt_path)) if gt_src is not None else None,
            left_out, kept)


def mask_frames(folder: Path, n_gt: int, kept: list[int], size: tuple[int, int] | None = None) -> FrameSet:
    """GT alpha masks: the alpha channel when the image has a non-opaque one, else the mean of its colours.
    `size` (W, H): the GT frame size every mask must have."""
    from PIL import Image

    from ..io.images import list_images, read_image_array

    files = list_images(folder)
    if len(files) != n_gt:
        raise InputError(folder, f"has {len(files)} masks for {n_gt} frames", "give one alpha mask per GT frame")
    for k in kept if size is not None else ():
        try:
            with Image.open(files[k]) as im:
                got = im.size
        except OSError:
            continue  # read_image_array names an undecodable file when the masks load
        if got != size:
            raise InputError(files[k], f"is {got[0]}×{got[1]} but the ground truth frames are {size[0]}×{size[1]}",
                             "give masks at the GT resolution")

    def load() -> list[np.ndarray]:
        out = []
        for k in kept:
            arr = read_image_array(files[k], with_alpha=True)
            a = arr[..., 3].astype(np.float64) if (arr[..., 3] < 255).any() else arr[..., :3].mean(axis=-1)
            out.append(np.repeat(a[..., None], 3, axis=2))  # 0-255 floats: the tensor is exactly a / 255
        return out

    return FrameSet(load, [files[k].name for k in kept], str(folder))


def input_record(cfg: AdhocConfig) -> dict[str, str]:
    inputs = {role: str(path) for role, path in (("pred", cfg.pred), ("gt", cfg.gt), ("audio", cfg.audio)) if path is not None}
    for role, path in list(inputs.items()):
        if Path(path).is_file():
            inputs[f"{role}_sha256"] = sha256_file(path)
    return inputs


def check_paths(cfg: AdhocConfig) -> None:
    """Every path given on the command line exists and is of the right kind, before anything is decoded."""
    for role, path, kind in (("--gt", cfg.gt, None), ("--mask", cfg.mask, "folder"), ("--audio", cfg.audio, "file")):
        if path is None:
            continue
        path = Path(path)
        if not path.exists():
            raise InputError(path, "does not exist", f"check the {role} path")
        if kind == "folder" and not path.is_dir():
            raise InputError(path, "is not a folder", f"pass a folder for {role}")
        if kind == "file" and not path.is_file():
            raise InputError(path, "is not a file", f"pass an audio file (or a video with sound) for {role}")


def score_adhoc(cfg: AdhocConfig) -> tuple[RunSummary, list[ItemRecord]]:
    """Score the one ad-hoc item; the summary has the runner's schema (protocol id "adhoc", never comparable)."""
    reasons = ["ad-hoc inputs, not a frozen protocol"]
    entries = metric_entries(cfg, reasons)
    pred_path = Path(cfg.pred)
    check_paths(cfg)
    pred, gt, left_out, kept = paired_frames(pred_path, cfg.gt)
    size = (gt.arrays[0].shape[1], gt.arrays[0].shape[0]) if gt is not None and len(gt) else None
    masks = mask_frames(cfg.mask, len(kept) + len(left_out), kept, size) if cfg.mask is not None else None
    item_id = pred_path.stem
    inputs = ItemInputs(source=None, target=gt, audio=cfg.audio, masks=masks, n_pred=len(pred))
    ctx = inputs.context(item_id, pred, pred.fps or cfg.fps, frame_analysis())
    outcome = score_item(entries, ctx, inputs, fatal=(MissingWeightsError,)) if len(pred) else \
        {"records": [], "missing": [MissingItem(item_id, "no frame could be decoded").to_dict()], "states": {}}
    outcome["missing"] = [MissingItem(f"{item_id}/{frame}", why, e.key).to_dict()
                          for frame, why in left_out for e in entries] + outcome["missing"]
    metrics, weights, records, missing = summarize_metrics(entries, [outcome], 1)
    whole = {m.item for m in missing if m.metric is None}
    return RunSummary(
        protocol={"id": "adhoc", "version": None, "hash": None},
        model={"name": item_id, "inputs": input_record(cfg)}, metrics=metrics,
        counts={"expected": 1, "evaluated": 1 - len(whole), "missing": len(whole)},
        missing=missing, comparable=False, comparable_reasons=reasons, weights=weights,
        run={"kind": "score", "frames": len(kept) + len(left_out), "frames_left_out": len(left_out)},
        artifacts={"items": "items.jsonl"},
    ), records


def score(pred, gt=None, metrics: Sequence[str] = ("psnr", "ssim", "l1"), **kwargs: Any) -> dict[str, float | None]:
    """Python API: {metric: value} for a prediction (and its ground truth). See AdhocConfig for options."""
    summary, _ = score_adhoc(AdhocConfig(Path(pred), None if gt is None else Path(gt), tuple(metrics), **kwargs))
    return {k: v.value for k, v in summary.metrics.items()}
