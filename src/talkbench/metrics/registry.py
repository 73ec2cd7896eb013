"""The metric registry: validated, lazily imported, extensible through entry points.

Built-in names come from `talkbench.metrics.catalog`; a user's package adds metrics with an
entry point in the group ``talkbench.metrics`` (``name = "pkg.module:MetricClass"``).
"""
from __future__ import annotations

import importlib
from importlib.metadata import entry_points
from typing import Any

from ..lazy import load_target, lookup
from .base import Metric
from .card import MetricCard
from .catalog import FAMILIES, Entry

ENTRY_POINT_GROUP = "talkbench.metrics"


class MetricRegistry:
    def __init__(self) -> None:
        self._entries: dict[str, Entry | tuple[type, dict[str, Any]]] = {}
        self._loaded_plugins = False

    # -- registration -------------------------------------------------------------------------
    def register(self, name: str, target: str | type, preset: dict[str, Any] | None = None) -> None:
        """Register a metric class (or a lazy "module:Class" string) under a unique name."""
        if not name or name != name.strip() or " " in name:
            raise ValueError(f"invalid metric name {name!r}")
        if name in self._entries:
            raise ValueError(f"metric name '{name}' is already registered")
        if isinstance(target, type):
            self._check_class(name, target)
            self._entries[name] = (target, dict(preset or {}))
        else:
            self._entries[name] = Entry(target, dict(preset or {}))

    @staticmethod
    def _check_class(name: str, cls: type) -> None:
        if not (isinstance(cls, type) and issubclass(cls, Metric)):
            raise TypeError(f"metric '{name}' must be a subclass of talkbench.metrics.Metric, got {cls!r}")
        if not isinstance(getattr(cls, "card", None), MetricCard):
            raise TypeError(f"metric '{name}' ({cls.__name__}) has no MetricCard in its `card` attribute")

    def _load_builtins(self) -> None:
        for family in FAMILIES:
            mod = importlib.import_module(f"{__package__}.catalog.{family}")
            for name, entry in mod.ENTRIES.items():
                self.register(name, entry.target, entry.preset)

    def _load_plugins(self) -> None:
        if self._loaded_plugins:
            return
        self._loaded_plugins = True
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            if ep.name not in self._entries:
                self._entries[ep.name] = Entry(ep.value)

    # -- lookup -------------------------------------------------------------------------------
    def names(self) -> list[str]:
        self._load_plugins()
        return sorted(self._entries)

    def resolve(self, name: str) -> tuple[type[Metric], dict[str, Any]]:
        self._load_plugins()
        entry = lookup("metric", name, self._entries, "`talkbench ls metrics` lists them all.")
        if isinstance(entry, Entry):
            cls = load_target(entry.target)
            self._check_class(name, cls)
            self._entries[name] = entry = (cls, dict(entry.preset))
        return entry

    def create(self, name: str, **options: Any) -> Metric:
        cls, preset = self.resolve(name)
        clash = set(preset) & set(options)
        if clash:
            raise ValueError(f"metric '{name}' fixes options {sorted(clash)}; use the base metric to change them")
        metric = cls(**preset, **options)
        metric.name = name
        return metric

    def card(self, name: str) -> MetricCard:
        return self.create(name).instance_card

    def cards(self) -> list[MetricCard]:
        return [self.card(n) for n in self.names()]


REGISTRY = MetricRegistry()
REGISTRY._load_builtins()


def get_metric(name: str, **options: Any) -> Metric:
    return REGISTRY.create(name, **options)


def list_metrics() -> list[str]:
    return REGISTRY.names()
