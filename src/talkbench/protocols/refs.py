"""Frame selectors, item references and the rule that manifest paths stay inside the dataset root."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from ..errors import InputError

ITEM_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")
_SLICE = re.compile(r"^(-?\d*):(-?\d*)(?::(-?\d+))?$")
_FRACTION = re.compile(r"^(first|last):(\d+)/(\d+)$")


def select_frames(selector: Any, n: int) -> list[int]:
    """Indices chosen by a manifest frame selector on a clip of n frames (see FORMAT.md)."""
    if selector is None or selector == "all":
        return list(range(n))
    if isinstance(selector, list):
        bad = [i for i in selector if not isinstance(i, int) or not 0 <= i < n]
        if bad:
            raise InputError(None, f"frame indices {bad[:5]} are outside a clip of {n} frames",
                             "check that the clip is complete (a truncated download has fewer frames)")
        return list(selector)
    if isinstance(selector, str):
        if m := _SLICE.match(selector):
            start, stop, step = (int(g) if g else None for g in m.groups())
            return list(range(n))[slice(start, stop, step)]
        if selector.startswith("linspace:"):
            import numpy as np  # only here: `talkbench ls protocols` loads this module without numpy

            k = int(selector.split(":", 1)[1])
            return [int(x) for x in np.linspace(0, n - 1, k)] if n else []
        if m := _FRACTION.match(selector):
            part, num, den = m.group(1), int(m.group(2)), int(m.group(3))
            # AD-NeRF: train = ids below int(n * 10/11); n*(den-num)//den is that split without float rounding
            split = n * (den - num) // den if part == "last" else n * num // den
            return list(range(split, n)) if part == "last" else list(range(split))
    raise ValueError(f"unknown frame selector {selector!r}; see talkbench/protocols/FORMAT.md")


def check_selector(selector: Any) -> None:
    """Raise ValueError for a selector that no clip length could resolve."""
    select_frames(selector, 1000)


@dataclass(frozen=True)
class Ref:
    """A reference to frames of one clip (and one or several cameras for multi-view datasets)."""

    clip: str
    frames: Any = "all"
    camera: str | None = None
    serials: tuple[str, ...] | None = None
    dataset: str | None = None  # another dataset of the protocol (cross-dataset items)

    @classmethod
    def parse(cls, d: dict | None) -> "Ref | None":
        if d is None:
            return None
        if not isinstance(d, dict) or not isinstance(d.get("clip"), str) or not d["clip"]:
            raise ValueError(f"a reference must be a mapping with a 'clip' string, got {d!r}")
        unknown = set(d) - {"clip", "frames", "camera", "serials", "dataset"}
        if unknown:
            raise ValueError(f"unknown reference fields {sorted(unknown)}")
        check_selector(d.get("frames", "all"))
        serials = d.get("serials")
        return cls(d["clip"], d.get("frames", "all"), d.get("camera"), tuple(serials) if serials else None, d.get("dataset"))


class PathEscapeError(InputError):
    """A path that leads out of the root it must stay in (`..`, absolute, or a symlink out)."""


def inside_root(root: str | Path, relative: str | Path) -> Path:
    """root/relative, refusing absolute paths, `..` and symlinks that lead out of root."""
    rel = Path(relative)
    if rel.is_absolute() or rel.drive or any(part == ".." for part in rel.parts) or str(relative).startswith("~"):
        raise PathEscapeError(relative, "leaves the dataset root", "manifest paths must be relative and stay inside the root")
    check_inside(root, Path(root) / rel, shown=relative)
    return Path(root) / rel


def check_inside(root: str | Path, path: str | Path, shown: str | Path | None = None) -> None:
    """Refuse `path` when, symlinks resolved, it lies outside `root` (resolved)."""
    root_resolved = Path(root).resolve()
    target = Path(path).resolve()
    if target != root_resolved and root_resolved not in target.parents:
        raise PathEscapeError(shown if shown is not None else path, f"resolves to {target}, outside the dataset root {root_resolved}",
                              "remove the symlink or move the data inside the root")


def is_inside(root: str | Path, path: str | Path) -> bool:
    root_resolved = Path(root).resolve()
    target = Path(path).resolve()
    return target == root_resolved or root_resolved in target.parents


def positional_index(clip: str) -> int | None:
    """k for a positional clip reference "@k", else None."""
    if clip.startswith("@"):
        if not clip[1:].isdigit():
            raise ValueError(f"positional clip reference must look like '@12', got {clip!r}")
        return int(clip[1:])
    return None


def pick(seq: Sequence, indices: Sequence[int]) -> list:
    return [seq[i] for i in indices]
