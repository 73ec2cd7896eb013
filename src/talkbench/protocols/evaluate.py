"""Scoring one item (runs in a worker): inputs → prediction (model or --pred) → context → metrics.

Returns an outcome {"item", "records", "missing", "states", "model_notes"} that the driver writes
atomically; states are the serialised (io/state_codec, no pickle) accumulators of set-level / matrix
metrics for this item alone, so that merging them in manifest order gives the same numbers whatever
the executor, shard count or resume.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..errors import InputError, MissingWeightsError, TalkbenchError
from ..io import state_codec
from ..io.hashing import sha256_path
from ..lazy import load_target
from ..logs import get_logger
from ..metrics.card import MetricKind
from ..io.frameset import FrameSet
from ..metrics.context import ItemContext, ItemScore
from ..metrics.registry import get_metric
from ..results.summary import ItemRecord, MissingItem
from .datasets import open_dataset
from .datasets.base import DatasetAdapter, find_clip_files
from .inputs import TASKS, ItemInputs, frames_digest
from .spec import MetricEntry

STATEFUL_KINDS = (MetricKind.SET_LEVEL, MetricKind.MULTIVIEW_MATRIX)
log = get_logger("evaluate")


@dataclass
class Job:
    """Everything a worker needs, picklable (sent to process-pool and Ray workers)."""

    spec: dict[str, Any]
    data: dict[str, str]  # dataset name -> root
    metrics: list[MetricEntry]
    model: str | None = None
    model_target: str | None = None  # "module:Class", resolved by the driver so workers need no registry edits
    checkpoint: str | None = None
    pred: str | None = None
    model_config: dict[str, Any] = field(default_factory=dict)


_ADAPTERS: dict[tuple, DatasetAdapter] = {}
_MODELS: dict[tuple, Any] = {}


def adapters_for(job: Job) -> dict[str, DatasetAdapter]:
    out = {}
    for name, root in job.data.items():
        key = (name, root)
        if key not in _ADAPTERS:
            _ADAPTERS[key] = open_dataset(name, root)
        out[name] = _ADAPTERS[key]
    return out


def model_for(job: Job):
    key = (job.model, job.checkpoint, repr(sorted(job.model_config.items())))
    if key not in _MODELS:
        cls = load_target(job.model_target or "")
        if job.checkpoint:
            if not hasattr(cls, "from_checkpoint"):
                raise InputError(job.checkpoint, f"model '{job.model}' does not load checkpoints", "drop --checkpoint")
            _MODELS[key] = cls.from_checkpoint(job.checkpoint, **job.model_config)
        else:
            _MODELS[key] = cls(**job.model_config)
    return _MODELS[key]


def frame_analysis() -> Any:
    """The process's FrameAnalysis (talkbench.analysis): every network on evaluation frames runs there,
    once per frame and backbone, shared by all items and metrics of this worker."""
    from ..analysis.stage import default_analysis

    return default_analysis()


def prediction_frames(job: Job, item_id: str, fps: float | None) -> FrameSet:
    files = find_clip_files(Path(job.pred), item_id)
    if files is None or files.kind == "image":
        raise InputError(Path(job.pred) / f"{item_id}.mp4", "does not exist (nor a frame folder of that name)",
                         "write one video or frame folder per item id (`talkbench validate --protocol ID --pred DIR`)")
    return files.frameset("all")


def missing_weights_reason(exc: MissingWeightsError) -> str:
    return f"missing weights: {exc.file_name} (talkbench weights import PATH; backbone {exc.backbone})"


def reason_of(exc: BaseException) -> str:
    return missing_weights_reason(exc) if isinstance(exc, MissingWeightsError) else str(exc)


def evaluate_item(job: Job, item: dict[str, Any]) -> dict[str, Any]:
    """Outcome of one item: metric records, missing reasons, mergeable metric states, and the model's
    comparability notes (random weights, substituted pre-processing, ...)."""
    item_id = item["id"]
    notes: list[str] = []
    try:
        inputs = TASKS[job.spec["task"]](item, adapters_for(job), job.spec["dataset"])
        if inputs.target is not None and item.get("gt_sha256"):
            seen = frames_digest(inputs.target)
            if seen != item["gt_sha256"]:
                raise InputError(inputs.target.origin, f"decodes to GT frames with sha256 {seen}, not the frozen {item['gt_sha256']}",
                                 "the clip differs from the one the protocol was frozen with (a re-download or re-encode)")
        if job.pred:
            pred = prediction_frames(job, item_id, item.get("fps"))
        else:
            model = model_for(job)
            notes = list(model.comparability_notes())
            pred = FrameSet(list(inputs.generate(model)), origin=f"model:{job.model}")
        if inputs.n_pred is not None and len(pred) != inputs.n_pred:
            raise InputError(pred.origin, f"has {len(pred)} frames but item '{item_id}' needs {inputs.n_pred}",
                             "produce one frame per target frame")
        check_resolution(pred, inputs.target)
    except TalkbenchError as exc:
        return {"item": item_id, "records": [], "missing": [MissingItem(item_id, reason_of(exc)).to_dict()], "states": {},
                "model_notes": notes}
    except Exception as exc:  # one item's data or model failing (a decoder, a model on an odd input) is that item's reason
        log.warning("item %s failed: %s: %s (run with -v for the traceback)", item_id, type(exc).__name__, exc)
        log.debug("item %s", item_id, exc_info=True)
        reason = f"failed while building its inputs or prediction ({type(exc).__name__}: {exc})"
        return {"item": item_id, "records": [], "missing": [MissingItem(item_id, reason).to_dict()], "states": {},
                "model_notes": notes}
    ctx = inputs.context(item_id, pred, item.get("fps") or pred.fps, frame_analysis())
    return {"item": item_id, **score_item(job.metrics, ctx, inputs), "model_notes": notes,
            "input_files": input_files(inputs, pred)}


def input_files(inputs: ItemInputs, pred: FrameSet) -> dict[str, str]:
    """{path: content sha256} of the files this item read (data clips, audio, the prediction): `--resume`
    re-checks them, so a run never mixes results of other data or changed predictions."""
    paths = [fs.origin for fs in (inputs.source, inputs.target, inputs.driving, inputs.masks, pred) if fs is not None]
    paths.append(str(inputs.audio) if inputs.audio is not None else "")
    return {p: sha256_path(p) for p in dict.fromkeys(paths) if p and Path(p).exists()}


def score_item(entries: list[MetricEntry], ctx: ItemContext, inputs: ItemInputs,
               fatal: tuple[type[TalkbenchError], ...] = ()) -> dict[str, Any]:
    """{"records", "missing", "states"} of every metric on one item's context: the one scoring path of
    protocol runs and ad-hoc `talkbench score` runs. An error of a `fatal` type propagates (an ad-hoc run
    fails on missing weights); any other TalkbenchError is that metric's missing reason for the item."""
    item_id = ctx.item_id
    records, missing, states = [], [], {}
    hashes: dict[str, str] | None = None
    for entry in entries:
        try:
            metric = get_metric(entry.name, **entry.options)
            score = score_metric(metric, entry, ctx, inputs)
        except fatal:
            raise
        except TalkbenchError as exc:
            missing.append(MissingItem(item_id, reason_of(exc), entry.key).to_dict())
            continue
        except ValueError as exc:  # inputs this metric cannot take (frames smaller than its window, an empty mask, ...)
            log.debug("metric %s on item %s", entry.key, item_id, exc_info=True)
            missing.append(MissingItem(item_id, f"metric '{entry.key}' cannot score this item: {exc}", entry.key).to_dict())
            continue
        stateful = metric.card.kind in STATEFUL_KINDS
        if score.value is None and (not stateful or score.n_frames == 0):
            reason = score.extra.get("missing_reason") or "no frame of this item could be scored" + (
                f" ({len(score.missing_frames)} frames; first, {score.missing_frames[0][0]}: {score.missing_frames[0][1]})"
                if score.missing_frames else "")
            missing.append(MissingItem(item_id, str(reason), entry.key).to_dict())
            continue
        if hashes is None:
            hashes = input_hashes(ctx)
        records.append(ItemRecord(item_id, entry.key, score.value, score.n_frames, hashes,
                                  {k: v for k, v in score.extra.items() if k != "missing_reason"}).to_dict())
        # frames a metric could not score (no face, ...) are listed, never averaged in as 0
        missing.extend(MissingItem(f"{item_id}/{frame}", str(why), entry.key).to_dict() for frame, why in score.missing_frames)
        if stateful:
            states[entry.key] = state_codec.dumps(metric.state_dict())
    return {"records": records, "missing": missing, "states": states}


def check_resolution(pred: FrameSet, target: FrameSet | None) -> None:
    if target is None or not len(pred) or not len(target):
        return
    p, g = pred.arrays[0].shape[:2], target.arrays[0].shape[:2]
    if p != g:
        raise InputError(pred.origin, f"frames are {p[1]}×{p[0]} but the ground truth is {g[1]}×{g[0]}",
                         "render at the protocol resolution")


def input_hashes(ctx: ItemContext) -> dict[str, str]:
    return {role: frames_digest(fs) for role in ("pred", "gt", "source", "driving")
            if (fs := getattr(ctx, role)) is not None}


def restricted(ctx: ItemContext, inputs: ItemInputs, where: dict[str, Any]) -> ItemContext:
    """The context limited to the frames rendered at one camera (multiview `where: {camera: SERIAL}`)."""
    camera = str(where.get("camera"))
    if camera not in inputs.serials:
        raise InputError(None, f"camera {camera} is not among this item's views {inputs.serials}", "fix the protocol spec")
    n, j = len(inputs.serials), inputs.serials.index(camera)
    idx = [k for k in range(len(ctx.pred)) if k % n == j]

    def sub(fs: FrameSet | None) -> FrameSet | None:
        return None if fs is None else FrameSet(lambda: [fs.arrays[k] for k in idx], [fs.names[k] for k in idx], fs.origin, fs.fps)

    return ItemContext(ctx.item_id, sub(ctx.pred), sub(ctx.gt), ctx.source, ctx.driving, sub(ctx.masks), ctx.audio,
                       ctx.fps, ctx.analysis, {**ctx.meta, "where": where})


def score_metric(metric, entry: MetricEntry, ctx: ItemContext, inputs: ItemInputs) -> ItemScore:
    if entry.where:
        ctx = restricted(ctx, inputs, entry.where)
    if metric.card.kind is MetricKind.MULTIVIEW_MATRIX:
        S = score_matrix(metric.options.get("base", "psnr"), ctx, inputs)
        metric.update(S)
        return ItemScore(metric.compute().value, int(S.shape[0]))
    return metric.update_item(ctx)


def score_matrix(base_name: str, ctx: ItemContext, inputs: ItemInputs) -> np.ndarray:
    """S[t, i, j] of a paired base metric over predictions ordered (t, i, j)."""
    n = len(inputs.serials)
    if n < 2 or len(ctx.pred) % (n * n):
        raise InputError(None, f"item '{ctx.item_id}' is not an N×N multiview item", "use a multiview-nxn protocol")
    base = get_metric(base_name)
    T = len(ctx.pred) // (n * n)
    S = np.empty((T, n, n), dtype=np.float64)
    for t in range(T):
        for i in range(n):
            sl = slice((t * n + i) * n, (t * n + i + 1) * n)
            mask = ctx.masks.tensor(sl, torch.float64)[:, :1] if ctx.masks is not None else None
            S[t, i] = base.update(ctx.pred.tensor(sl, torch.float64), ctx.reference("gt").tensor(sl, torch.float64), mask).numpy()
    return S


# -- metric state: the metric's declared state_dict, nothing else -----------------------------------
def restore_metric(entry: MetricEntry, state: dict[str, Any]):
    """A fresh metric of the entry with a saved state_dict loaded (StateError names what does not fit)."""
    metric = get_metric(entry.name, **entry.options)
    metric.load_state_dict(state)
    return metric
