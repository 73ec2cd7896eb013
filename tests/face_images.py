"""Real photographs shipped inside installed packages, for the face tests."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest


def insightface_image(name: str) -> np.ndarray:
    spec = importlib.util.find_spec("insightface")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("insightface is not installed (its package ships the test photographs)")
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "images" / name
    if not path.is_file():
        pytest.skip(f"{path} not found in the installed insightface package")
    from PIL import Image

    return np.asarray(Image.open(path).convert("RGB"))


def astronaut() -> np.ndarray:
    from skimage import data

    return np.ascontiguousarray(data.astronaut())
