"""What `talkbench ls TOPIC` can list; each topic is a lazy "module:function" returning rows (dicts)."""
from __future__ import annotations

from dataclasses import dataclass

from .lazy import load_target, lookup


@dataclass(frozen=True)
class Topic:
    target: str  # "module:function" -> list[dict]
    columns: tuple[str, ...]


TOPICS: dict[str, Topic] = {
    "metrics": Topic("talkbench.metrics.listing:metric_rows", ("name", "version", "arrow", "kind", "unit", "backbone")),
    "protocols": Topic("talkbench.protocols.spec:protocol_rows", ("id", "version", "dataset", "items", "list")),
    "models": Topic("talkbench.models.registry:model_rows", ("name", "kind", "parameters", "description")),
    "published": Topic("talkbench.baselines.published:published_rows", ("table", "paper", "source", "protocol", "rows", "metrics")),
    "weights": Topic("talkbench.weights.install:status_rows", ("id", "file", "present", "location")),
}


def list_topic(topic: str) -> list[dict]:
    t = lookup("listing", topic, TOPICS)
    return load_target(t.target)()
