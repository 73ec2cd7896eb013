"""Errors that name what was wrong, which file, and how to fix it."""
from __future__ import annotations

import errno
from pathlib import Path


class TalkbenchError(Exception):
    """Base class; `exit_code` is what the CLI returns for it."""

    exit_code = 2


class InputError(TalkbenchError):
    """A user-supplied file or folder is missing, unreadable or malformed."""

    def __init__(self, path: str | Path | None, problem: str, fix: str = ""):
        self.path = None if path is None else str(path)
        self.problem = problem
        self.fix = fix
        where = f"{self.path}: " if self.path else ""
        hint = f" Fix: {fix}" if fix else ""
        super().__init__(f"{where}{problem}.{hint}")


class InputDecodeError(InputError, ValueError):
    """A user file whose bytes do not decode (text encoding, JSON, JSONL); still a ValueError for callers."""


class UnknownNameError(TalkbenchError, KeyError):
    """A registry lookup failed; the message carries "did you mean" suggestions."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0])


class MissingWeightsError(TalkbenchError):
    """An official weight file is not installed (never a silent fallback)."""

    def __init__(self, file_name: str, backbone: str, urls: tuple[str, ...] = (), where: str = ""):
        self.file_name = file_name
        self.backbone = backbone
        #: the short reason a runner records for an item that could not be scored
        self.reason = f"missing weights: {file_name} (talkbench weights import PATH --id {backbone})"
        url = urls[0] if urls else "its official release page"
        loc = f" (looked in {where})" if where else ""
        super().__init__(
            f"weights file {file_name} for backbone '{backbone}' is not installed{loc}. "
            f"Fix: download it from {url} and run `talkbench weights import PATH --id {backbone}`, "
            f"or `talkbench weights fetch {backbone}` on a machine with internet."
        )


class WeightsMismatchError(TalkbenchError):
    def __init__(self, path: str | Path, expected: str, actual: str):
        super().__init__(
            f"{path}: sha256 {actual} does not match the official {expected}. "
            "Fix: re-download the official file; a different file would change every number."
        )


class IncomparableError(TalkbenchError):
    exit_code = 2


#: errno -> (what happened, how to fix it) for OS errors on user-given paths
OS_ERRORS: dict[int, tuple[str, str]] = {
    errno.ENOENT: ("does not exist", "check the path"),
    errno.EISDIR: ("is a folder, not a file", "name a file (e.g. inside that folder)"),
    errno.ENOTDIR: ("has a part that is not a folder", "check the path"),
    errno.EACCES: ("cannot be accessed (permission denied)", "choose a place you can read/write or fix its permissions"),
    errno.EPERM: ("cannot be accessed (operation not permitted)", "choose a place you can read/write or fix its permissions"),
    errno.EEXIST: ("already exists", "remove it or choose another name"),
    errno.ENOSPC: ("cannot be written: no space left on the device", "free space or write elsewhere"),
    errno.EROFS: ("is on a read-only file system", "write elsewhere"),
    errno.ENAMETOOLONG: ("has a name that is too long", "use a shorter path"),
    errno.ELOOP: ("is a symlink loop", "fix the symlinks"),
}


def os_error_message(exc: OSError) -> str:
    """`PATH: what. Fix: how` for an OS error raised on a user-given path."""
    what, fix = OS_ERRORS.get(exc.errno or -1, (exc.strerror or str(exc), "check the path and its permissions"))
    path = exc.filename if exc.filename is not None else "(unnamed file)"
    return f"{path}: {what}. Fix: {fix}"


def write_crash_log(exc: BaseException) -> str | None:
    """Write the traceback of an unexpected exception under $TALKBENCH_HOME/logs; its path (None if that fails)."""
    import os
    import time
    import traceback

    from .io.paths import talkbench_home

    try:
        folder = talkbench_home() / "logs"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"crash-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"
        path.write_text("".join(traceback.format_exception(exc)), encoding="utf-8")
        return str(path)
    except OSError:
        return None
