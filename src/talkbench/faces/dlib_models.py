"""dlib's offline face models: HOG detector, iBUG-68 shape predictor and the ResNet 128-d descriptor.

The model files come from the `face-recognition-models` package; its folder is found without
importing it (its __init__ imports the deprecated pkg_resources). Everything here raises
DlibUnavailable with an install hint when dlib or the models are absent.
"""
from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path

from ..errors import TalkbenchError
from ..io.hashing import sha256_file

SHAPE_68 = "shape_predictor_68_face_landmarks.dat"
DESCRIPTOR = "dlib_face_recognition_resnet_model_v1.dat"


class DlibUnavailable(TalkbenchError):
    def __init__(self, what: str):
        super().__init__(f"{what} is not installed. Fix: install the dlib extra (`pip install 'talkbench[dlib]'`, "
                         "or `make install TALKBENCH_WHEELHOUSE=...` with a prebuilt dlib wheel)")


def dlib_module():
    try:
        import dlib
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise DlibUnavailable("dlib") from exc
    return dlib


def dlib_available() -> bool:
    try:
        dlib_module()
        model_path(SHAPE_68)
    except DlibUnavailable:
        return False
    return True


def model_path(file_name: str) -> Path:
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise DlibUnavailable("face-recognition-models (dlib's model files)")
    path = Path(next(iter(spec.submodule_search_locations))) / "models" / file_name
    if not path.is_file():
        raise DlibUnavailable(f"{file_name} (from face-recognition-models)")
    return path


@lru_cache(maxsize=None)
def model_sha256(file_name: str) -> str:
    return sha256_file(model_path(file_name))


def dlib_version() -> str:
    return dlib_module().__version__


@lru_cache(maxsize=None)
def shape_predictor_68():
    return dlib_module().shape_predictor(str(model_path(SHAPE_68)))


@lru_cache(maxsize=None)
def face_descriptor_net():
    return dlib_module().face_recognition_model_v1(str(model_path(DESCRIPTOR)))


@lru_cache(maxsize=None)
def hog_detector():
    return dlib_module().get_frontal_face_detector()


def to_rectangle(box):
    """dlib.rectangle for a FaceBox (dlib rectangles are inclusive integer corners)."""
    dlib = dlib_module()
    return dlib.rectangle(int(round(box.x0)), int(round(box.y0)), int(round(box.x1)) - 1, int(round(box.y1)) - 1)


def shape_to_array(shape):
    import numpy as np

    return np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float64)
