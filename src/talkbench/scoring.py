"""`talkbench score`: paired metrics on two frame folders or videos, for quick use and notebooks.

Frames pair by natural-sorted file name order (folders) or frame index (videos). A frame that
cannot be decoded is reported as missing with the file's name, never scored as 0.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import torch

from .errors import InputError
from .io.frames import Frame, open_frames, to_batch
from .io.hashing import sha256_file
from .logs import progress
from .metrics.card import MetricKind
from .metrics.registry import get_metric
from .results.summary import ItemRecord, MissingItem, RunSummary, summarize_values


@dataclass
class ScoreConfig:
    pred: Path
    gt: Path
    metrics: Sequence[str] = ("psnr", "ssim", "l1")
    mask: Path | None = None  # folder of alpha masks (same names as gt), for masked variants
    batch_size: int = 16
    options: dict[str, dict] = field(default_factory=dict)  # per-metric options


def _paired_metrics(names, options):
    metrics = []
    for name in names:
        m = get_metric(name, **options.get(name, {}))
        if m.card.kind is not MetricKind.PAIRED_FRAME:
            raise InputError(None, f"metric '{name}' is {m.card.kind.value}, not paired-frame",
                             "use `talkbench run` with a protocol for set-level and audio-visual metrics")
        metrics.append(m)
    return metrics


def _read_mask(path: Path):
    from .io.images import read_image_array

    arr = read_image_array(path, with_alpha=True)
    a = arr[..., 3] if (arr[..., 3] < 255).any() else arr[..., :3].mean(axis=-1)
    return torch.from_numpy(a.astype("float32") / 255.0)[None, None]


def score_pair(cfg: ScoreConfig) -> tuple[RunSummary, list[ItemRecord]]:
    pred_src, gt_src = open_frames(cfg.pred), open_frames(cfg.gt)
    if len(pred_src) != len(gt_src):
        raise InputError(cfg.pred, f"has {len(pred_src)} frames but {cfg.gt} has {len(gt_src)}",
                         "pass prediction and ground truth with the same number of frames (they pair by sorted name / index)")
    if len(pred_src) == 0:
        raise InputError(cfg.pred, "holds no frames", "pass a folder of images or a video")
    masks = None
    if cfg.mask is not None:
        from .io.images import list_images

        masks = list_images(cfg.mask)
        if len(masks) != len(gt_src):
            raise InputError(cfg.mask, f"has {len(masks)} masks for {len(gt_src)} frames", "give one alpha mask per GT frame")
    metrics = _paired_metrics(cfg.metrics, cfg.options)
    missing: list[MissingItem] = []
    records: list[ItemRecord] = []
    batch: list[tuple[Frame, Frame]] = []

    def flush():
        if not batch:
            return
        pred = to_batch([p.array for p, _ in batch], torch.float64)
        gt = to_batch([g.array for _, g in batch], torch.float64)
        if pred.shape != gt.shape:
            for p, g in batch:
                missing.append(MissingItem(p.name, f"{p.path} is {p.array.shape[:2]} but {g.path} is {g.array.shape[:2]}; resize one of them"))
            batch.clear()
            return
        mask = None
        if masks is not None:
            mask = torch.cat([_read_mask(masks[p.index]) for p, _ in batch])
        for m in metrics:
            vals = m.update(pred, gt, mask)
            for (p, g), v in zip(batch, vals.tolist()):
                records.append(ItemRecord(item=p.name, metric=m.name, value=v, n_frames=1,
                                          inputs={"pred": p.path, "gt": g.path}))
        batch.clear()

    for p, g in progress(zip(pred_src, gt_src), total=len(pred_src), desc="score"):
        bad = p if p.error else g if g.error else None
        if bad is not None:
            missing.append(MissingItem(p.name, bad.error))
            continue
        if p.array.shape != g.array.shape:
            missing.append(MissingItem(p.name, f"{p.path} is {p.array.shape[1]}×{p.array.shape[0]} but {g.path} is "
                                       f"{g.array.shape[1]}×{g.array.shape[0]}; resize the prediction to the GT size"))
            continue
        batch.append((p, g))
        if len(batch) >= cfg.batch_size:
            flush()
    flush()

    n = len(pred_src)
    summaries = {m.name: summarize_values(m.instance_card, m.compute().per_item, n) for m in metrics}
    inputs = {"pred": str(cfg.pred), "gt": str(cfg.gt)}
    for role, path in list(inputs.items()):
        if Path(path).is_file():
            inputs[f"{role}_sha256"] = sha256_file(path)
    return RunSummary(
        protocol={"id": "adhoc", "version": None, "hash": None},
        model={"name": Path(cfg.pred).name, "inputs": inputs},
        metrics=summaries,
        counts={"expected": n, "evaluated": n - len({m.item for m in missing}), "missing": len({m.item for m in missing})},
        missing=missing,
        comparable=False,
        comparable_reasons=["ad-hoc folder pair, not a frozen protocol"],
        run={"kind": "score", "batch_size": cfg.batch_size},
        artifacts={"items": "items.jsonl"},
    ), records


def score(pred, gt, metrics: Sequence[str] = ("psnr", "ssim", "l1"), **kwargs) -> dict[str, float | None]:
    """Python API: {metric: value} for two frame folders / videos. See ScoreConfig for options."""
    summary, _ = score_pair(ScoreConfig(Path(pred), Path(gt), tuple(metrics), **kwargs))
    return {k: v.value for k, v in summary.metrics.items()}
