"""Lazy name tables shared by every registry: "module:attr" targets and did-you-mean lookups."""
from __future__ import annotations

import difflib
import importlib
from typing import Any, Iterable, Mapping, TypeVar

from .errors import UnknownNameError

T = TypeVar("T")


def load_target(target: str) -> Any:
    """Import "package.module:attr" and return attr."""
    module, _, attr = target.partition(":")
    if not attr:
        raise ValueError(f"target '{target}' must look like 'package.module:attr'")
    return getattr(importlib.import_module(module), attr)


def unknown_name(kind: str, name: str, known: Iterable[str], hint: str = "") -> UnknownNameError:
    known = list(known)
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
    suggestion = f" Did you mean: {', '.join(close)}?" if close else ""
    return UnknownNameError(f"unknown {kind} '{name}'.{suggestion} {hint or 'Known: ' + ', '.join(sorted(known))}")


def lookup(kind: str, name: str, table: Mapping[str, T], hint: str = "") -> T:
    if name not in table:
        raise unknown_name(kind, name, table, hint)
    return table[name]
