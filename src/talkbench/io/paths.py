"""Where talkbench keeps its files: TALKBENCH_HOME (default ~/.cache/talkbench) and the caches under it."""
from __future__ import annotations

import os
from pathlib import Path


def talkbench_home() -> Path:
    return Path(os.environ.get("TALKBENCH_HOME") or Path.home() / ".cache" / "talkbench").expanduser()


def cache_root(kind: str) -> Path:
    """$TALKBENCH_HOME/cache/<kind>."""
    return talkbench_home() / "cache" / kind
