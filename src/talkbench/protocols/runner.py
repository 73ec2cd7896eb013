"""The protocol runner: plan → evaluate items (executor) → per-item files → summary.

OUT/
  run.json            the run's key (protocol hash, items, data roots, model or predictions, metrics); --resume checks it
  run.lock            held (flock) by the one process writing this folder; a second writer fails fast
  items/<id>.json     one outcome per finished item, written atomically (records + missing reasons, and the
                      sha256 of every file the item read: --resume re-checks them)
  items/<id>.state    set-level metric states of that item (io/state_codec: no pickle; written before its .json)
  items.jsonl         every ItemRecord, in manifest order        } written last, by write_results
  summary.json        the RunSummary                             }
"""
from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ..errors import InputError, MissingWeightsError, TalkbenchError, UnknownNameError
from ..io import state_codec
from ..io.atomic import atomic_write_bytes, atomic_write_json, read_json
from ..io.hashing import sha256_file, sha256_json, sha256_path
from ..logs import get_logger, progress
from ..metrics.registry import REGISTRY
from ..results.bootstrap import DEFAULT_SEED, bootstrap_ci
from ..results.store import write_results
from ..results.summary import ItemRecord, MetricSummary, MissingItem, RunSummary
from .datasets import open_dataset
from .evaluate import STATEFUL_KINDS, Job, missing_weights_reason, restore_metric
from .executors import make_executor
from .spec import MetricEntry, Protocol, items_from_dataset, load_protocol, read_spec, find_spec

log = get_logger("run")
ITEMS_DIR = "items"
RUN_FILE = "run.json"
LOCK_FILE = "run.lock"


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
    """What identifies a run: protocol, items, data roots, model (+ checkpoint content) or predictions, metrics.
    The content of the files each item read is checked per item on --resume (`check_inputs`)."""
    return {"protocol": proto.header(), "items_hash": sha256_json([it["id"] for it in items]), "model": job.model,
            "checkpoint": job.checkpoint, "model_config": job.model_config,
            "checkpoint_sha256": sha256_path(job.checkpoint) if job.checkpoint and Path(job.checkpoint).exists() else None,
            "data": {name: str(Path(root).resolve()) for name, root in sorted(job.data.items())},
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
    try:
        data = read_json(path)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(path, f"is damaged ({type(exc).__name__}: {exc})",
                         "delete it (and its .state) to recompute that item with --resume") from None
    if not isinstance(data, dict) or data.get("run_key") != key_hash:
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
            raise InputError(out, "holds a run with a different protocol, data folder, model, checkpoint, predictions or metrics",
                             "resume with the same arguments, or write to a new --out folder")
    elif existing and not cfg.resume:
        raise InputError(out, f"already holds {len(existing)} item results", "pass --resume to continue that run, or pick an empty --out")
    atomic_write_json(run_file, {"key_hash": key_hash, "key": key})
    return key_hash


def check_inputs(out: Path, outcome: dict[str, Any]) -> None:
    """A resumed item's input files must hold what they held when it was scored."""
    for path, digest in (outcome.get("input_files") or {}).items():
        now = sha256_path(path) if Path(path).exists() else "(absent)"
        if now != digest:
            raise InputError(path, f"changed since item '{outcome['item']}' of the run in {out} was scored "
                                   f"(sha256 {digest[:12]}… then, {now[:12]}… now)",
                             "rerun without --resume into a new --out folder (or delete that folder's items/ to recompute)")


@contextlib.contextmanager
def out_lock(out: Path):
    """Exclusive lock on OUT/run.lock for the whole run; released by the OS even on kill -9."""
    out.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no advisory locks, no protection
        yield
        return
    path = out / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip() or "?"
            raise InputError(out, f"is being written by another talkbench run (pid {holder})",
                             "wait for it to finish, or write to another --out folder") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)


def check_config(cfg: RunConfig) -> None:
    if (cfg.model is None) == (cfg.pred is None):
        raise InputError(None, "pass exactly one of --model NAME or --pred DIR", "see `talkbench run --help`")
    if cfg.limit is not None and (isinstance(cfg.limit, bool) or not isinstance(cfg.limit, int) or cfg.limit < 1):
        raise InputError("--limit", f"{cfg.limit} is not a positive number of items", "pass --limit N with N >= 1, or drop it")
    if cfg.workers is not None and int(cfg.workers) < 1:
        raise InputError("--workers", f"{cfg.workers} is not a positive number", "pass --workers N with N >= 1")
    if cfg.pred is not None and not Path(cfg.pred).is_dir():
        raise InputError(cfg.pred, "is not a folder" if Path(cfg.pred).exists() else "does not exist",
                         "pass the folder holding one video or frame folder per item id")
    out = Path(cfg.out)
    if out.exists() and not out.is_dir():
        raise InputError(out, "is a file, not a folder", "pass a folder for --out (it is created if absent)")


def run_protocol(cfg: RunConfig) -> RunSummary:
    check_config(cfg)
    proto, roots = resolve_protocol(cfg)
    entries, reasons = metric_entries(cfg, proto)
    if not entries:
        raise InputError(None, f"none of protocol '{proto.id}' metrics is available", "pass --metrics with installed metrics")
    model_target = None
    if cfg.model:
        from ..models.registry import check_model_options, model_target as target_of

        check_model_options(cfg.model, cfg.model_config)
        model_target = target_of(cfg.model)
    job = Job(proto.spec, roots, entries, cfg.model, model_target, None if cfg.checkpoint is None else str(cfg.checkpoint),
              None if cfg.pred is None else str(cfg.pred), dict(cfg.model_config))
    items = proto.items[: cfg.limit] if cfg.limit else proto.items
    if cfg.pred is not None:
        from .validation import pred_reasons

        reasons += pred_reasons(Path(cfg.pred), proto, roots)
    if cfg.model:
        check_model(job)
    key = run_key(proto, job, items)
    with out_lock(Path(cfg.out)):
        return _run_locked(cfg, proto, job, items, key, reasons)


def check_model(job: Job) -> None:
    """Build the model (from --checkpoint) once, in the driver, so that a bad checkpoint or option fails the run
    up front (exit 2, naming the file) instead of making every item missing. With one worker the driver's model
    is the one that runs."""
    from .evaluate import model_for

    try:
        model_for(job)
    except TalkbenchError:
        raise
    except Exception as exc:  # EOFError, UnpicklingError, KeyError, load_state_dict's RuntimeError, ...
        if job.checkpoint:
            raise InputError(job.checkpoint, f"cannot be loaded as a '{job.model}' checkpoint ({summarize_load_error(exc)})",
                             f"pass a checkpoint of '{job.model}' in its released layout "
                             f"(`talkbench init-checkpoint {job.model}` writes one)") from None
        raise InputError("--model", f"'{job.model}' cannot be built with options {job.model_config} "
                                    f"({type(exc).__name__}: {exc})", "check --model-option values (`talkbench ls models`)") from None


def summarize_load_error(exc: BaseException, shown: int = 3) -> str:
    """A load error in one line: missing / unexpected key counts and the first few keys, not a 1000-key dump."""
    import re

    text = str(exc)
    parts = []
    for label in ("Missing", "Unexpected"):
        m = re.search(rf"{label} key\(s\) in state_dict: (.*?)(?:\.\s*$|\.\s*\n|\.\s*(?=Unexpected)|$)", text, re.S)
        if m:
            keys = re.findall(r'"([^"]+)"', m.group(1))
            parts.append(f"{len(keys)} {label.lower()} keys, e.g. {', '.join(keys[:shown])}")
    sizes = re.findall(r"size mismatch for ([^:]+):", text)
    if sizes:
        parts.append(f"{len(sizes)} shape mismatches, e.g. {', '.join(sizes[:shown])}")
    if parts:
        return "; ".join(parts)
    first = text.strip().splitlines()[0] if text.strip() else ""
    return f"{type(exc).__name__}: {first[:200]}" if first else type(exc).__name__


def _run_locked(cfg: RunConfig, proto: Protocol, job: Job, items: list[dict], key: dict, reasons: list[str]) -> RunSummary:
    key_hash = prepare_out(cfg, key)
    out = Path(cfg.out)
    done = set()
    if cfg.resume:
        for it in items:
            outcome = read_outcome(out, it["id"], key_hash)
            if outcome is not None:
                check_inputs(out, outcome)
                done.add(it["id"])
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
    from .matrices import write_matrices

    summary.artifacts.update(write_matrices(cfg.out, job.metrics, outcomes, items))
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
