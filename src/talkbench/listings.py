"""What `talkbench ls TOPIC` can list; each topic is a lazy "module:function" returning rows (dicts)."""
from __future__ import annotations

import importlib
from dataclasses import dataclass

from .errors import NotAvailableYet, UnknownNameError


@dataclass(frozen=True)
class Topic:
    target: str | None  # "module:function" -> list[dict]
    columns: tuple[str, ...]
    owner_issue: int | None = None  # while target is None: the issue that adds it


TOPICS: dict[str, Topic] = {
    "metrics": Topic("talkbench.metrics.listing:metric_rows", ("name", "version", "arrow", "kind", "unit", "backbone")),
    "protocols": Topic(None, ("id", "version", "dataset", "items"), owner_issue=5),
    "models": Topic("talkbench.models.registry:model_rows", ("name", "kind", "description")),
    "published": Topic(None, ("table", "paper", "metrics", "rows"), owner_issue=6),
    "weights": Topic(None, ("id", "file", "present"), owner_issue=3),
}


def list_topic(topic: str) -> list[dict]:
    if topic not in TOPICS:
        import difflib

        close = difflib.get_close_matches(topic, TOPICS, n=2)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        raise UnknownNameError(f"unknown listing '{topic}'.{hint} Known: {', '.join(TOPICS)}")
    t = TOPICS[topic]
    if t.target is None:
        raise NotAvailableYet(f"`talkbench ls {topic}`", t.owner_issue or 0)
    module, _, fn = t.target.partition(":")
    return getattr(importlib.import_module(module), fn)()
