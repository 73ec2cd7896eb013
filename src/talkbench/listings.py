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
    "protocols": Topic("talkbench.protocols.spec:protocol_rows", ("id", "version", "dataset", "items", "list")),
    "models": Topic("talkbench.models.registry:model_rows", ("name", "kind", "description")),
    "published": Topic("talkbench.baselines.published:published_rows", ("table", "paper", "source", "protocol", "rows", "metrics")),
    "weights": Topic("talkbench.metrics.backbones.weights_install:status_rows", ("id", "file", "present", "location")),
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
