"""Executors run `evaluate_item` over items and hand each outcome to the driver as it arrives.

Both give identical numbers: the driver writes every outcome to OUT/items/ and aggregates them
in manifest order, whatever order they arrived in.
"""
from __future__ import annotations

from typing import Any, Callable, Protocol

from ...lazy import Registry

OnOutcome = Callable[[dict[str, Any]], None]


class Executor(Protocol):
    def run(self, job, items: list[dict], on_outcome: OnOutcome) -> None: ...


EXECUTORS: Registry[type] = Registry("executor", {
    "local": "talkbench.protocols.executors.local:LocalExecutor",
    "ray": "talkbench.protocols.executors.ray:RayExecutor",
})


def make_executor(name: str, workers: int = 1, **options: Any) -> Executor:
    return EXECUTORS.create(name, workers=workers, **options)
