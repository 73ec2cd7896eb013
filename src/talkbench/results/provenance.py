"""Where a number came from: suite version, git commit + dirty flag, environment."""
from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path


def git_info(start: str | Path | None = None) -> dict:
    """Commit and dirty flag of the talkbench checkout (None outside a git work tree)."""
    here = Path(start or Path(__file__).resolve().parent)
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=10)
        if commit.returncode != 0:
            return {"commit": None, "dirty": None}
        status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=here,
                                capture_output=True, text=True, timeout=10)
        return {"commit": commit.stdout.strip(), "dirty": bool(status.stdout.strip())}
    except (OSError, subprocess.TimeoutExpired):
        return {"commit": None, "dirty": None}


def _version(mod: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(mod)
    except PackageNotFoundError:
        return None


def environment_info() -> dict:
    import numpy
    import torch

    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "torch": torch.__version__,
        "numpy": numpy.__version__,
        "torch_threads": torch.get_num_threads(),
        "device": "cpu" if not torch.cuda.is_available() else torch.cuda.get_device_name(0),
        "packages": {p: _version(p) for p in ("av", "scipy", "scikit-image", "mediapipe", "insightface",
                                               "onnxruntime", "face-alignment", "dlib", "lpips")},
    }


def suite_info() -> dict:
    from .. import __version__

    g = git_info()
    return {"name": "talkbench", "version": __version__, "git_commit": g["commit"], "git_dirty": g["dirty"]}
