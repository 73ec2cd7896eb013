"""Errors that name what was wrong, which file, and how to fix it."""
from __future__ import annotations

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
