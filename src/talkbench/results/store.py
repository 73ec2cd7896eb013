"""Reading and writing result folders (summary.json + items.jsonl), atomically and schema-checked."""
from __future__ import annotations

import json
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any, Iterable

from ..errors import InputError
from ..io.atomic import atomic_write_json, atomic_write_jsonl, read_json, read_jsonl
from .summary import ItemRecord, RunSummary

SUMMARY_FILE = "summary.json"
ITEMS_FILE = "items.jsonl"


@lru_cache(maxsize=1)
def summary_schema() -> dict:
    return json.loads(files("talkbench.results").joinpath("summary.schema.json").read_text(encoding="utf-8"))


def validate_summary(data: dict, path: str | Path | None = None) -> None:
    import jsonschema

    from ..io.jsonfloat import encode

    try:
        jsonschema.validate(encode(data), summary_schema())
    except jsonschema.ValidationError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "(top level)"
        raise InputError(path, f"is not a valid talkbench summary at {where}: {exc.message}",
                         "regenerate it with `talkbench run` or `talkbench score`") from exc


def write_results(out_dir: str | Path, summary: RunSummary | dict, items: Iterable[ItemRecord | dict] = ()) -> Path:
    """Write items.jsonl then summary.json (the summary last, so its presence means a complete run)."""
    out = Path(out_dir)
    data = summary.to_dict() if isinstance(summary, RunSummary) else summary
    validate_summary(data)
    atomic_write_jsonl(out / ITEMS_FILE, [r.to_dict() if isinstance(r, ItemRecord) else r for r in items])
    atomic_write_json(out / SUMMARY_FILE, data)
    return out / SUMMARY_FILE


def write_summary(out_dir: str | Path, summary: RunSummary | dict) -> Path:
    """Rewrite summary.json only (e.g. to record a run label after the run)."""
    data = summary.to_dict() if isinstance(summary, RunSummary) else summary
    validate_summary(data)
    return atomic_write_json(Path(out_dir) / SUMMARY_FILE, data)


def _summary_path(path: str | Path) -> Path:
    p = Path(path)
    return p / SUMMARY_FILE if p.is_dir() else p


def load_summary(path: str | Path) -> dict[str, Any]:
    p = _summary_path(path)
    if not p.is_file():
        raise InputError(p, "does not exist", "pass a summary.json or the result folder that holds one")
    try:
        data = read_json(p)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(p, f"is not valid JSON ({exc})", "regenerate it; partial writes never happen, so it was edited") from exc
    validate_summary(data, p)
    return data


def load_items(path: str | Path) -> list[dict[str, Any]]:
    p = _summary_path(path).parent / ITEMS_FILE
    if not p.is_file():
        raise InputError(p, "does not exist", "items.jsonl is written beside summary.json")
    return read_jsonl(p)
