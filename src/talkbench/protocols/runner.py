"""The protocol runner: plan → evaluate items (executor) → per-item files → summary.

OUT/
  run.json            the run's key (protocol hash, model or predictions, metrics); --resume checks it
  items/<id>.json     one outcome per finished item, written atomically (records + missing reasons)
  items/<id>.state    set-level metric states of that item (io/state_codec: no pickle; written before its .json)
  items.jsonl         every ItemRecord, in manifest order        } written last, by write_results
  summary.json        the RunSummary                             }
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ..errors import InputError, MissingWeightsError, TalkbenchError, UnknownNameError
from ..io import state_codec
from ..io.atomic import atomic_write_bytes, atomic_write_json, read_json
from ..io.hashing import sha256_file, sha256_json
from ..logs import get_logger, progress
from ..metrics.card import MetricKind
from ..metrics.registry import REGISTRY
from ..results.bootstrap import DEFAULT_SEED, bootstrap_ci
from ..results.store import write_results
from ..results.summary import ItemRecord, MetricSummary, MissingItem, RunSummary
from .datasets import open_dataset
from .evaluate import STATEFUL_KINDS, Job, missing_weights_reason, restore_metric
from .executors import make_executor
from .spec import MetricEntry, Protocol, items_from_dataset, load_protocol, protocol_hash, read_spec, find_spec

log = get_logger("run")
ITEMS_DIR = "items"
RUN_FILE = "run.json"


@dataclass
class RunConfig:
    protocol: str | Path
    data: dict[str, str] | str | Path
    out: Path
    model: str | None = None
    checkpoint: Path | None = None
    pred: Path | None = None
    limit: int | None = None
    executor: str = "local"
    workers: int = 1
    resume: bool = False
    offline_backbones: bool = False
    metrics: list[str] | None = None
    ray_address: str | None = None
    model_config: dict[str, Any] = field(default_factory=dict)
    #: called by the driver after each item is written (tests use it to interrupt a run)
    on_item: Callable[[int, str], None] | None = None


def data_roots(data, protocol: Protocol) -> dict[str, str]:
    """`--data ROOT` (the protocol's dataset) or `--data NAME=ROOT` pairs."""
    roots = {k: str(v) for k, v in data.items()} if isinstance(data, dict) else {protocol.dataset: str(data)}
    for name, root in roots.items():
        if not Path(root).exists():
            raise InputError(root, "does not exist", f"pass the {name} dataset root with --data (`talkbench validate --dataset` checks one)")
    missing = [d for d in protocol.datasets() if d not in roots]
    if missing:
        raise InputError(None, f"protocol '{protocol.id}' reads datasets {missing} but no root was given",
                         " ".join(f"--data {d}=ROOT" for d in missing))
    return roots


def resolve_protocol(cfg: RunConfig) -> tuple[Protocol, dict[str, str]]:
    path = find_spec(cfg.protocol)
    spec = read_spec(path)
    if spec["manifest"] is None:
        proto = Protocol(spec, [], path)
        roots = data_roots(cfg.data, proto)
        adapter = open_dataset(spec["dataset"], roots[spec["dataset"]])
        return Protocol(spec, items_from_dataset(spec, adapter.clip_ids()), path), roots
    proto = load_protocol(path)
    return proto, data_roots(cfg.data, proto)


def metric_entries(cfg: RunConfig, proto: Protocol) -> tuple[list[MetricEntry], list[str]]:
    """The metrics to run, and comparability reasons (unavailable metrics, offline substitutes)."""
    reasons = []
    if cfg.metrics:
        by_name = {m.name: m for m in proto.metrics}
        entries = [by_name.get(n, MetricEntry(n)) for n in cfg.metrics]
        for e in entries:
            REGISTRY.resolve(e.name)  # unknown names the user typed are an error
    else:
        entries, unavailable = [], []
        for e in proto.metrics:
            try:
                REGISTRY.resolve(e.name)
                entries.append(e)
            except UnknownNameError:
                unavailable.append(e.name)
        if unavailable:
            log.warning("metrics of protocol %s not available in this install, skipped: %s", proto.id, ", ".join(unavailable))
            reasons.append(f"protocol metrics not available in this install: {', '.join(unavailable)}")
    if cfg.offline_backbones:
        from ..metrics.offline import OFFLINE_BACKBONES

        swapped = [e for e in entries if e.name in OFFLINE_BACKBONES]
        entries = [MetricEntry(OFFLINE_BACKBONES[e.name], e.options, e.label, e.where) if e.name in OFFLINE_BACKBONES else e
                   for e in entries]
        if swapped:
            reasons.append("offline backbones substituted for " + ", ".join(f"{e.name}→{OFFLINE_BACKBONES[e.name]}" for e in swapped))
    return entries, reasons


def run_key(proto: Protocol, job: Job, items: list[dict]) -> dict[str, Any]:
    return {"protocol": proto.header(), "items_hash": sha256_json([it["id"] for it in items]), "model": job.model,
            "checkpoint": job.checkpoint, "model_config": job.model_config,
            "pred": None if job.pred is None else str(Path(job.pred).resolve()),
            "metrics": [e.to_dict() for e in job.metrics]}


def item_file(out: Path, item_id: str, suffix: str = ".json") -> Path:
    return out / ITEMS_DIR / f"{item_id}{suffix}"


def write_outcome(out: Path, outcome: dict[str, Any], key_hash: str) -> None:
    states = outcome.get("states") or {}
    if states:
        atomic_write_bytes(item_file(out, outcome["item"], ".state"), state_codec.dumps(states))
    record = {k: v for k, v in outcome.items() if k != "states"}
    atomic_write_json(item_file(out, outcome["item"]), {**record, "run_key": key_hash, "has_state": bool(states)}, indent=None)


def read_outcome(out: Path, item_id: str, key_hash: str) -> dict[str, Any] | None:
    path = item_file(out, item_id)
    if not path.is_file():
        return None
    data = read_json(path)
    if data.get("run_key") != key_hash:
        return None
    states = {}
    if data.get("has_state"):
        state_path = item_file(out, item_id, ".state")
        try:
            states = state_codec.loads(state_path.read_bytes())
        except (OSError, state_codec.StateFormatError) as exc:
            raise InputError(state_path, f"cannot be read back ({exc})",
                             "delete it and its .json to recompute that item with --resume, or run into a new --out") from None
    return {**data, "states": states}


def prepare_out(cfg: RunConfig, key: dict[str, Any]) -> str:
    out = Path(cfg.out)
    key_hash = sha256_json(key)
    run_file = out / RUN_FILE
    existing = list((out / ITEMS_DIR).glob("*.json")) if (out / ITEMS_DIR).is_dir() else []
    if cfg.resume and run_file.is_file():
        old = read_json(run_file)
        if old.get("key_hash") != key_hash:
            raise InputError(out, "holds a run with a different protocol, model, predictions or metrics",
                             "resume with the same arguments, or write to a new --out folder")
    elif existing and not cfg.resume:
        raise InputError(out, f"already holds {len(existing)} item results", "pass --resume to continue that run, or pick an empty --out")
    atomic_write_json(run_file, {"key_hash": key_hash, "key": key})
    return key_hash


def run_protocol(cfg: RunConfig) -> RunSummary:
    if (cfg.model is None) == (cfg.pred is None):
        raise InputError(None, "pass exactly one of --model NAME or --pred DIR", "see `talkbench run --help`")
    proto, roots = resolve_protocol(cfg)
    entries, reasons = metric_entries(cfg, proto)
    if not entries:
        raise InputError(None, f"none of protocol '{proto.id}' metrics is available", "pass --metrics with installed metrics")
    model_target = None
    if cfg.model:
        from ..models.registry import check_model_options, model_target as target_of

        check_model_options(cfg.model, cfg.model_config)
        model_target = target_of(cfg.model)
    if cfg.pred is not None and not Path(cfg.pred).is_dir():
        raise InputError(cfg.pred, "is not a folder", "pass the folder holding one video or frame folder per item id")
    job = Job(proto.spec, roots, entries, cfg.model, model_target, None if cfg.checkpoint is None else str(cfg.checkpoint),
              None if cfg.pred is None else str(cfg.pred), dict(cfg.model_config))
    items = proto.items[: cfg.limit] if cfg.limit else proto.items
    key = run_key(proto, job, items)
    key_hash = prepare_out(cfg, key)
    out = Path(cfg.out)
    done = {it["id"] for it in items if read_outcome(out, it["id"], key_hash) is not None} if cfg.resume else set()
    todo = [it for it in items if it["id"] not in done]
    if done:
        log.info("resuming: %d of %d items already done", len(done), len(items))
    bar = progress(total=len(todo), desc=proto.id)
    counter = {"n": 0}

    def on_outcome(outcome: dict[str, Any]) -> None:
        write_outcome(out, outcome, key_hash)
        counter["n"] += 1
        bar.update(1)
        if cfg.on_item is not None:
            cfg.on_item(counter["n"], outcome["item"])

    options = {"address": cfg.ray_address} if cfg.executor == "ray" and cfg.ray_address else {}
    try:
        make_executor(cfg.executor, cfg.workers, **options).run(job, todo, on_outcome)
    finally:
        bar.close()
    outcomes = [read_outcome(out, it["id"], key_hash) for it in items]
    if any(o is None for o in outcomes):
        raise TalkbenchError(f"{out}: some item results are missing after the run; rerun with --resume")
    for note in dict.fromkeys(n for o in outcomes for n in o.get("model_notes") or ()):
        reasons.append(note)
    if cfg.limit:
        reasons.append(f"--limit {cfg.limit}: {len(items)} of {len(proto.items)} items")
    if not proto.comparable:
        reasons.append(f"protocol '{proto.id}' is not comparable (custom or test data)")
    summary, records = summarize(proto, job, items, outcomes, reasons, cfg, resumed=bool(done))
    write_results(out, summary, records)
    return summary


# -- aggregation -------------------------------------------------------------------------------
def entry_card(entry: MetricEntry):
    """The metric's instance card; the class card with the options filled in when the instance cannot be
    built here (its weights are not installed)."""
    from ..metrics.registry import get_metric

    try:
        card = get_metric(entry.name, **entry.options).instance_card
    except TalkbenchError:
        cls, preset = REGISTRY.resolve(entry.name)
        card = cls.card.with_options(name=entry.name, options={**cls.defaults, **preset, **entry.options})
    return card


def weighted_mean(values: np.ndarray, weights: np.ndarray) -> float | None:
    """Pooled per-frame mean from per-item means (an infinite item mean, e.g. PSNR of identical frames, stays inf)."""
    return None if values.size == 0 else float(np.sum(values * weights) / np.sum(weights))


def summarize_metrics(entries: list[MetricEntry], outcomes: list[dict], n_expected: int
                      ) -> tuple[dict[str, MetricSummary], dict[str, str], list[ItemRecord], list[MissingItem]]:
    """Per-metric summaries of item outcomes (protocol and ad-hoc runs alike), the backbone weights they
    used, and the outcomes' records and missing reasons."""
    records = [ItemRecord(**r) for o in outcomes for r in o["records"]]
    missing = [MissingItem(**m) for o in outcomes for m in o["missing"]]
    metrics: dict[str, MetricSummary] = {}
    weights: dict[str, str] = {}
    for entry in entries:
        card = entry_card(entry)
        if card.backbone is not None and card.backbone.weights_sha256:
            parts = card.backbone.weights_sha256.split("+")  # several weight files: "sha+sha"
            for k, digest in enumerate(parts):
                weights[card.backbone.id if len(parts) == 1 else f"{card.backbone.id}[{k}]"] = digest
        extra = {"label": entry.label} if entry.label else {}
        if entry.where:
            extra["where"] = entry.where
        mine = [r for r in records if r.metric == entry.key]
        if card.kind in STATEFUL_KINDS:
            metrics[entry.key] = merged_summary(entry, card, outcomes, n_expected, mine, extra, missing)
            continue
        v = np.asarray([r.value for r in mine], dtype=np.float64)
        w = np.asarray([max(r.n_frames or 1, 1) for r in mine], dtype=np.float64)
        metrics[entry.key] = MetricSummary(card, weighted_mean(v, w), int(v.size), n_expected,
                                           bootstrap_ci(v, seed=DEFAULT_SEED, weights=w), v.tolist(),
                                           {**extra, "aggregation": "mean over frames (items weighted by frame count)",
                                            "frames": int(w.sum())})
    return metrics, weights, records, missing


def summarize(proto: Protocol, job: Job, items: list[dict], outcomes: list[dict], reasons: list[str], cfg: RunConfig,
              resumed: bool) -> tuple[RunSummary, list[ItemRecord]]:
    metrics, weights, records, missing = summarize_metrics(job.metrics, outcomes, len(items))
    whole = {m.item for m in missing if m.metric is None}
    model = ({"name": cfg.model, "config": job.model_config} if cfg.model else
             {"name": f"predictions:{Path(cfg.pred).name}", "pred": str(cfg.pred)})
    if cfg.checkpoint:
        from ..models.registry import checkpoint_file

        file = checkpoint_file(cfg.model, cfg.checkpoint)
        model.update(checkpoint=str(file), checkpoint_sha256=sha256_file(file))
    summary = RunSummary(
        protocol=proto.header(), model=model, metrics=metrics,
        counts={"expected": len(items), "evaluated": len(items) - len(whole), "missing": len(whole)},
        missing=missing, comparable=not reasons, comparable_reasons=list(reasons), weights=weights,
        artifacts={"items": "items.jsonl", "item_outputs": f"{ITEMS_DIR}/"},
        run={"kind": "protocol", "executor": cfg.executor, "workers": cfg.workers, "limit": cfg.limit, "resumed": resumed,
             "data": job.data, "dataset": proto.dataset, "dataset_version": proto.spec["dataset_version"],
             "list_status": proto.spec["list_status"], "task": proto.task},
    )
    return summary, records


def merged_summary(entry: MetricEntry, card, outcomes: list[dict], n_expected: int, mine: list[ItemRecord],
                   extra: dict, missing: list[MissingItem]) -> MetricSummary:
    """Set-level / matrix metrics: per-item states merged in manifest order, then compute()."""
    states = [o["states"][entry.key] for o in outcomes if entry.key in o.get("states", {})]
    if not states:
        return MetricSummary(card, None, 0, n_expected, None, [], extra)
    try:
        total = restore_metric(entry, state_codec.loads(states[0]))
        for blob in states[1:]:
            total.merge(restore_metric(entry, state_codec.loads(blob)))
        value = total.compute()
    except MissingWeightsError as exc:
        missing.append(MissingItem("(all items)", missing_weights_reason(exc), entry.key))
        return MetricSummary(card, None, 0, n_expected, None, [], extra)
    if value.value is None:  # e.g. fewer than 2 frames per set: say so, never a silent null
        missing.append(MissingItem("(set)", str(value.extra.get("reason", "the set-level value could not be computed")), entry.key))
    per_item = [r.value for r in mine if r.value is not None]
    return MetricSummary(card, value.value, len(states), n_expected, None, per_item,
                         {**extra, **value.extra, "aggregation": "set-level: per-item statistics merged in manifest order"})
