"""`talkbench score --pred VIDEO --metrics lse`: audio-visual metrics on one video and its audio.

The audio is the video's own track unless `audio` names a wav/mp3/flac (or another video). When the
official SyncNet weights are absent, this ad-hoc command (never comparable anyway) falls back to a
random-initialised SyncNet so the pipeline can be checked end to end; the fallback is printed on
stderr, named in `comparable_reasons`, on each card (weights file "RANDOM-INIT") and in every item
record. `strict_weights=True` turns the fallback into MissingWeightsError. Protocol runs never fall
back: their metrics raise MissingWeightsError.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from .errors import InputError, MissingWeightsError
from .io.hashing import sha256_file
from .metrics.card import MetricKind
from .io.frameset import FrameSet
from .metrics.context import ItemContext
from .metrics.registry import get_metric
from .results.summary import ItemRecord, MissingItem, RunSummary, summarize_values


def expand_names(names: Sequence[str]) -> list[str]:
    """Metric names with audio groups (`lse`, `lse_fullframe`, `mouth-audio`) expanded, order kept."""
    from .metrics.catalog.audio import GROUPS

    out: list[str] = []
    for n in names:
        for m in GROUPS.get(n, (n,)):
            if m not in out:
                out.append(m)
    return out


def wants_audio_visual(names: Sequence[str]) -> bool:
    """True when every requested name is an audio group or an audio-visual metric."""
    from .metrics.registry import REGISTRY

    names = expand_names(names)
    if not names:
        return False
    try:
        return all(REGISTRY.resolve(n)[0].card.kind is MetricKind.AUDIO_VISUAL for n in names)
    except KeyError:
        return False


@dataclass
class AVScoreConfig:
    pred: Path
    metrics: Sequence[str] = ("lse",)
    audio: Path | None = None
    fps: float | None = None  # for frame folders (videos carry their own rate)
    strict_weights: bool = False
    options: dict[str, dict] = field(default_factory=dict)


def _metrics(cfg: AVScoreConfig, reasons: list[str]):
    from .metrics.syncnet_pipeline import SyncNetMetric, require_weights_or_raise

    metrics = []
    for name in expand_names(cfg.metrics):
        opts = dict(cfg.options.get(name, {}))
        m = get_metric(name, **opts)
        if m.card.kind is not MetricKind.AUDIO_VISUAL:
            raise InputError(None, f"metric '{name}' is {m.card.kind.value}, not audio-visual",
                             "score paired-frame metrics with --gt, audio-visual ones without it, in separate calls")
        if isinstance(m, SyncNetMetric) and m.config.weights == "official":
            try:
                require_weights_or_raise(m.config)
            except MissingWeightsError as exc:
                if cfg.strict_weights:
                    raise
                m = get_metric(name, **{**opts, "weights": "random-init"})
                note = ("SyncNet weights syncnet_v2.model are not installed: a RANDOM-INITIALISED SyncNet ran, so the "
                        "LSE values only check the pipeline and are NOT comparable")
                if note not in reasons:
                    reasons.append(note)
                    print(f"talkbench: warning: {note}. ({exc})", file=sys.stderr)
        metrics.append(m)
    return metrics


def score_video(cfg: AVScoreConfig) -> tuple[RunSummary, list[ItemRecord]]:
    reasons = ["ad-hoc video, not a frozen protocol"]
    metrics = _metrics(cfg, reasons)
    pred = Path(cfg.pred)
    frames = FrameSet.from_path(pred, fps=cfg.fps)
    if len(frames) == 0:
        raise InputError(pred, "holds no frames", "pass a video or a folder of frames")
    ctx = ItemContext(item_id=pred.stem, pred=frames, audio=cfg.audio, fps=frames.fps or cfg.fps)
    inputs = {"pred": str(pred)}
    if pred.is_file():
        inputs["pred_sha256"] = sha256_file(pred)
    if cfg.audio is not None:
        inputs["audio"] = str(cfg.audio)
        inputs["audio_sha256"] = sha256_file(cfg.audio)
    records, missing, summaries = [], [], {}
    for m in metrics:
        score = m.update_item(ctx)
        reason = score.extra.get("missing_reason")
        if reason is not None:
            missing.append(MissingItem(ctx.item_id, reason, metric=m.name))
        records.append(ItemRecord(item=ctx.item_id, metric=m.name, value=score.value, n_frames=score.n_frames,
                                  inputs=inputs, extra={k: v for k, v in score.extra.items() if k != "missing_reason"},
                                  error=reason))
        summaries[m.name] = summarize_values(m.instance_card, m.compute().per_item, 1)
    weights = {}
    for m in metrics:
        bb = m.instance_card.backbone
        if bb is not None and bb.weights_sha256:  # a random-init net has none: its card says RANDOM-INIT
            weights[bb.id] = bb.weights_sha256
    n_missing = len({mi.item for mi in missing})
    return RunSummary(
        protocol={"id": "adhoc", "version": None, "hash": None},
        model={"name": pred.stem, "inputs": inputs},
        metrics=summaries,
        counts={"expected": 1, "evaluated": 1 - n_missing, "missing": n_missing},
        missing=missing, comparable=False, comparable_reasons=reasons, weights=weights,
        run={"kind": "score", "audio_visual": True}, artifacts={"items": "items.jsonl"},
    ), records
