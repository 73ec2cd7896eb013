"""Atomic file writes: a temp file in the same folder, fsync, then rename."""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, Iterable

from .jsonfloat import dumps


def _umask() -> int:
    """The process umask (read by setting and restoring it: there is no getter)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def check_output_file(path: str | Path) -> Path:
    """A place a file can be written: not a folder, its parent a folder (created) that is writable."""
    from ..errors import InputError

    path = Path(path)
    if path.is_dir():
        raise InputError(path, "is a folder", "name a file to write (e.g. inside that folder)")
    parent = path.parent
    for p in (parent, *parent.parents):  # the first part that exists must be a folder
        if p.exists():
            if not p.is_dir():
                raise InputError(path, f"cannot be created because {p} is a file, not a folder", "choose another output path")
            break
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(path, f"cannot be created ({exc.strerror or exc})", "choose a writable output path") from None
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InputError(path, f"cannot be written: {parent} is not writable", "choose a writable output path")
    return path


def check_output_folder(path: str | Path) -> Path:
    """A folder results can be written into: created if absent; an existing file or an unwritable place is refused."""
    from ..errors import InputError

    path = Path(path)
    if path.exists() and not path.is_dir():
        raise InputError(path, "is a file, not a folder", "pass a folder (it is created if absent)")
    check_output_file(path / ".probe")
    return path


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    path = check_output_file(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        # mkstemp creates 0600; a normal open() would give 0666 & ~umask, which colleagues can read
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return path


def atomic_write_text(path: str | Path, text: str) -> Path:
    """UTF-8; a lone surrogate (a non-UTF-8 file name decoded with surrogateescape, e.g. an item id) is written
    as its visible escape (\\udcff) instead of failing the whole report."""
    return atomic_write_bytes(path, text.encode("utf-8", errors="backslashreplace"))


def atomic_write_json(path: str | Path, obj: Any, indent: int | None = 2) -> Path:
    return atomic_write_text(path, dumps(obj, indent=indent) + "\n")


def atomic_write_jsonl(path: str | Path, records: Iterable[Any]) -> Path:
    return atomic_write_text(path, "".join(dumps(r) + "\n" for r in records))


def _read_text(path: Path) -> str:
    from ..errors import InputDecodeError

    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputDecodeError(path, f"is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset {exc.start})",
                               "restore the file written by talkbench, or re-save it as UTF-8") from None


def read_json(path: str | Path) -> Any:
    from ..errors import InputDecodeError
    from .jsonfloat import loads

    path = Path(path)
    text = _read_text(path)
    try:
        return loads(text)
    except ValueError as exc:
        raise InputDecodeError(path, f"is not valid JSON ({exc})", "restore the file written by talkbench (it may be truncated)") from None


def read_jsonl(path: str | Path) -> list[Any]:
    from ..errors import InputDecodeError
    from .jsonfloat import loads

    path = Path(path)
    out = []
    for n, line in enumerate(_read_text(path).splitlines(), 1):
        if not line.strip():
            continue
        try:
            out.append(loads(line))
        except ValueError as exc:
            raise InputDecodeError(path, f"line {n} is not valid JSON ({exc})",
                                   "restore the file written by talkbench (it may be truncated), or fix that line") from None
    return out


__all__ = ["check_output_file", "check_output_folder", "atomic_write_bytes", "atomic_write_text", "atomic_write_json", "atomic_write_jsonl", "read_json", "read_jsonl", "json"]
