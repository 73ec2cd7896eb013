"""The real photographs the mini benchmark is built from, all shipped inside installed packages.

insightface's `data/images/t1.jpg` (six faces) and `Tom_Hanks_54745.png`, and scikit-image's
`astronaut.png`: eight identities. Each face becomes a square portrait (face centred, hair and
some background around it) at the mini benchmark's resolution.
"""
from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from ...errors import InputError
from ...io.hashing import sha256_file

#: portrait side relative to the detected face box, and the box centre's shift up (of the box height)
CROP_SCALE = 2.2
CROP_LIFT = 0.12
T1_NAMES = ("t1-a", "t1-b", "t1-c", "t1-d", "t1-e", "t1-f")  # left to right in the group photo


@dataclass(frozen=True)
class Photo:
    name: str
    path: Path


def _package_dir(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise InputError(None, f"the Python package '{package}' is not installed",
                         "install talkbench with its offline extra: pip install 'talkbench[offline]'")
    return Path(list(spec.submodule_search_locations)[0])


def photos() -> list[Photo]:
    """The three photo files (a missing file names its package)."""
    images = _package_dir("insightface") / "data" / "images"
    out = [Photo("t1", images / "t1.jpg"), Photo("tom-hanks", images / "Tom_Hanks_54745.png"),
           Photo("astronaut", _package_dir("skimage") / "data" / "astronaut.png")]
    for p in out:
        if not p.path.is_file():
            raise InputError(p.path, "is missing from its installed package", "reinstall insightface / scikit-image")
    return out


def photo_hashes() -> dict[str, str]:
    return {p.name: sha256_file(p.path) for p in photos()}


def read_rgb(path: Path) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


def crop_portrait(image: np.ndarray, box: tuple[float, float, float, float], size: int) -> np.ndarray:
    """A size×size portrait around a face box (x0, y0, x1, y1); beyond the photo, edge pixels repeat."""
    x0, y0, x1, y1 = box
    side = CROP_SCALE * max(x1 - x0, y1 - y0)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2 - CROP_LIFT * (y1 - y0)
    left, top = int(round(cx - side / 2)), int(round(cy - side / 2))
    n = int(round(side))
    h, w = image.shape[:2]
    pad = max(0, -left, -top, left + n - w, top + n - h)
    padded = np.pad(image, ((pad, pad), (pad, pad), (0, 0)), mode="edge") if pad else image
    crop = padded[top + pad:top + pad + n, left + pad:left + pad + n]
    return np.asarray(Image.fromarray(crop).resize((size, size), Image.Resampling.BICUBIC))


def face_boxes(image: np.ndarray) -> list[tuple[float, float, float, float]]:
    from ...faces.detection import get_detector

    faces = get_detector("mediapipe", points5=False).detect([image])[0]
    return [(f.x0, f.y0, f.x1, f.y1) for f in faces]


def portraits(size: int) -> dict[str, np.ndarray]:
    """The eight identities' portraits, name -> uint8 size×size×3."""
    out: dict[str, np.ndarray] = {}
    for photo in photos():
        image = read_rgb(photo.path)
        boxes = face_boxes(image)
        if photo.name == "t1":
            if len(boxes) < len(T1_NAMES):
                raise InputError(photo.path, f"gave {len(boxes)} faces, not six, to the mediapipe detector",
                                 "check the installed mediapipe version (0.10.21)")
            boxes = sorted(boxes[:len(T1_NAMES)], key=lambda b: b[0])
            for name, box in zip(T1_NAMES, boxes):
                out[name] = crop_portrait(image, box, size)
        else:
            if not boxes:
                raise InputError(photo.path, "gave no face to the mediapipe detector", "check the installed mediapipe version")
            out[photo.name] = crop_portrait(image, boxes[0], size)
    return out
