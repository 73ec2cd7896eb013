"""The metric registry: validated, lazily imported, extensible through entry points.

Built-in names come from `talkbench.metrics.catalog`; a user's package adds metrics with an
entry point in the group ``talkbench.metrics`` (``name = "pkg.module:MetricClass"``).
"""
from __future__ import annotations

import importlib
from typing import Any

from ..lazy import Registry
from .base import Metric
from .card import MetricCard
from .catalog import FAMILIES

ENTRY_POINT_GROUP = "talkbench.metrics"


def check_metric_class(name: str, cls: Any) -> None:
    if not (isinstance(cls, type) and issubclass(cls, Metric)):
        raise TypeError(f"metric '{name}' must be a subclass of talkbench.metrics.Metric, got {cls!r}")
    if not isinstance(getattr(cls, "card", None), MetricCard):
        raise TypeError(f"metric '{name}' ({cls.__name__}) has no MetricCard in its `card` attribute")


class MetricRegistry:
    """Metric classes by name (a lazy `Registry` with the `talkbench.metrics` entry-point group), each
    name with its fixed option preset (variants such as `psnr_masked`)."""

    def __init__(self) -> None:
        self._classes: Registry[type[Metric]] = Registry("metric", group=ENTRY_POINT_GROUP, check=check_metric_class,
                                                         hint="`talkbench ls metrics` lists them all.")
        self._presets: dict[str, dict[str, Any]] = {}

    # -- registration -------------------------------------------------------------------------
    def register(self, name: str, target: str | type, preset: dict[str, Any] | None = None) -> None:
        """Register a metric class (or a lazy "module:Class" string) under a unique name."""
        self._classes.register(name, target)
        self._presets[name] = dict(preset or {})

    def _load_builtins(self) -> None:
        for family in FAMILIES:
            mod = importlib.import_module(f"{__package__}.catalog.{family}")
            for name, entry in mod.ENTRIES.items():
                self.register(name, entry.target, entry.preset)

    # -- lookup -------------------------------------------------------------------------------
    def names(self) -> list[str]:
        return self._classes.names()

    def resolve(self, name: str) -> tuple[type[Metric], dict[str, Any]]:
        return self._classes.load(name), dict(self._presets.get(name, {}))

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
