"""Executors run `evaluate_item` over items and hand each outcome to the driver as it arrives.

Both give identical numbers: the driver writes every outcome to OUT/items/ and aggregates them
in manifest order, whatever order they arrived in.
"""
from __future__ import annotations

import importlib
from typing import Any, Callable, Protocol

from ...errors import UnknownNameError

OnOutcome = Callable[[dict[str, Any]], None]


class Executor(Protocol):
    def run(self, job, items: list[dict], on_outcome: OnOutcome) -> None: ...


EXECUTORS: dict[str, str] = {
    "local": "talkbench.protocols.executors.local:LocalExecutor",
    "ray": "talkbench.protocols.executors.ray:RayExecutor",
}


def make_executor(name: str, workers: int = 1, **options: Any) -> Executor:
    if name not in EXECUTORS:
        raise UnknownNameError(f"unknown executor '{name}'. Known: {', '.join(EXECUTORS)}")
    module, _, attr = EXECUTORS[name].partition(":")
    return getattr(importlib.import_module(module), attr)(workers=workers, **options)
