"""Logging and progress bars go to stderr; stdout is reserved for results (`--json`)."""
from __future__ import annotations

import logging
import sys

LOGGER_NAME = "talkbench"


def get_logger(name: str = "") -> logging.Logger:
    return logging.getLogger(f"{LOGGER_NAME}.{name}" if name else LOGGER_NAME)


def configure(verbosity: int = 0) -> None:
    level = logging.WARNING if verbosity < 0 else logging.INFO if verbosity == 0 else logging.DEBUG
    root = logging.getLogger(LOGGER_NAME)
    root.setLevel(level)
    if not any(getattr(h, "_talkbench", False) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        handler._talkbench = True  # type: ignore[attr-defined]
        root.addHandler(handler)


def progress(iterable=None, **kwargs):
    """A tqdm bar on stderr, silent when stderr is not a terminal unless forced."""
    kwargs.setdefault("file", sys.stderr)
    kwargs.setdefault("disable", None)  # tqdm: disable on non-tty
    kwargs.setdefault("leave", False)
    from tqdm import tqdm  # imported when a bar is drawn, not at CLI start-up

    return tqdm(iterable, **kwargs)
