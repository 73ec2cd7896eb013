"""One lazy registry type for every name table: metrics, analysers, detectors, landmarkers, datasets,
executors and models.

A `Registry` maps a name to a "package.module:attr" target (or the object itself) and imports the
target only when it is asked for, so listing names never loads torch or a network. Lookups of an
unknown name fail with a did-you-mean `UnknownNameError`; a registry with an entry-point group
also lists what installed packages declare in that group (`pyproject.toml`:
`[project.entry-points."talkbench.models"] my-model = "my_pkg.model:MyModel"`), and one that
accepts direct targets takes "package.module:Class" in place of a name (`--model my_pkg.model:MyModel`).
"""
from __future__ import annotations

import difflib
import importlib
from collections.abc import MutableMapping
from importlib.metadata import entry_points
from typing import Any, Callable, Generic, Iterable, Iterator, Mapping, TypeVar

from .errors import UnknownNameError

T = TypeVar("T")


def load_target(target: str) -> Any:
    """Import "package.module:attr" and return attr."""
    module, _, attr = target.partition(":")
    if not attr or not module:
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


def is_direct_target(name: str) -> bool:
    """"package.module:Class" (rather than a registered name)."""
    module, sep, attr = name.partition(":")
    return bool(sep and module and attr.isidentifier() and all(p.isidentifier() for p in module.split(".")))


class Registry(MutableMapping[str, Any], Generic[T]):
    """name -> target, loaded lazily. As a mapping it holds the raw targets (strings or objects);
    `load(name)` imports, checks and caches the object.

    kind: what the names are, for messages ("model", "dataset", ...).
    group: entry-point group whose declarations are added on first use (built-in names win).
    check: called as check(name, obj) on every loaded object; raises TypeError on a bad one.
    direct: accept "package.module:attr" in place of a registered name.
    hint: appended to unknown-name errors (e.g. which command lists the names).
    """

    def __init__(self, kind: str, entries: Mapping[str, Any] | None = None, *, group: str | None = None,
                 check: Callable[[str, Any], None] | None = None, direct: bool = False, hint: str = ""):
        self.kind, self.group, self.check, self.direct, self.hint = kind, group, check, direct, hint
        self._targets: dict[str, Any] = dict(entries or {})
        self._loaded: dict[str, Any] = {}
        self._plugins_read = group is None

    # -- the mapping of raw targets ----------------------------------------------------------
    def _plugins(self) -> dict[str, Any]:
        if not self._plugins_read:
            self._plugins_read = True
            for ep in entry_points(group=self.group):
                self._targets.setdefault(ep.name, ep.value)
        return self._targets

    def __getitem__(self, name: str) -> Any:
        return self._plugins()[name]

    def __setitem__(self, name: str, target: Any) -> None:
        self._targets[name] = target
        self._loaded.pop(name, None)

    def __delitem__(self, name: str) -> None:
        del self._targets[name]
        self._loaded.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        return iter(self._plugins())

    def __len__(self) -> int:
        return len(self._plugins())

    def __contains__(self, name: object) -> bool:
        return name in self._plugins()

    # -- registration and lookup -------------------------------------------------------------
    def register(self, name: str, target: Any) -> None:
        """Add a name; registering a taken name is an error (use item assignment to replace one)."""
        if not name or name != name.strip() or " " in name:
            raise ValueError(f"invalid {self.kind} name {name!r}")
        if name in self._targets:
            raise ValueError(f"{self.kind} name '{name}' is already registered")
        if not isinstance(target, str) and self.check is not None:
            self.check(name, target)
        self[name] = target

    def names(self) -> list[str]:
        return sorted(self._plugins())

    def target(self, name: str) -> Any:
        """The raw target of a name ("module:attr" or the object); a direct target is its own."""
        if self.direct and name not in self._plugins() and is_direct_target(name):
            return name
        return lookup(self.kind, name, self._plugins(), self.hint)

    def load(self, name: str) -> T:
        """The registered object (imported on first use, checked, cached)."""
        if name not in self._loaded:
            target = self.target(name)
            obj = load_target(target) if isinstance(target, str) else target
            if self.check is not None:
                self.check(name, obj)
            self._loaded[name] = obj
        return self._loaded[name]

    def create(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """Call the registered object (a class or factory) with the arguments."""
        return self.load(name)(*args, **kwargs)


def subclass_check(base: type, what: str = "") -> Callable[[str, Any], None]:
    """A `check` that accepts subclasses of base only."""

    def check(name: str, obj: Any) -> None:
        if not (isinstance(obj, type) and issubclass(obj, base)):
            raise TypeError(f"{what or base.__name__} '{name}' must be a subclass of {base.__module__}.{base.__qualname__}, "
                            f"got {obj!r}")

    return check
