"""Image files <-> tensors (N×3×H×W float32 RGB in [0,1], the suite's image contract)."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

from ..errors import InputError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff")


def natural_key(name: str) -> list:
    """Sort key so that frame_2 comes before frame_10."""
    return [int(tok) if tok.isdigit() else tok.lower() for tok in re.split(r"(\d+)", name)]


def list_images(folder: str | Path) -> list[Path]:
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(folder, "is not a folder", "pass a folder of images or a video file")
    files = [p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES]
    return sorted(files, key=lambda p: natural_key(p.name))


def read_image_array(path: str | Path, with_alpha: bool = False) -> np.ndarray:
    """uint8 H×W×3 (or H×W×4 with alpha) RGB array; a clear error for unreadable files."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "does not exist", "check the path")
    try:
        with Image.open(path) as im:
            im.load()
            mode = "RGBA" if with_alpha else "RGB"
            return np.asarray(im.convert(mode)).copy()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise InputError(path, f"cannot be decoded as an image ({exc})", "re-export the file as PNG or JPEG") from exc


def array_to_tensor(arr: np.ndarray) -> torch.Tensor:
    """uint8 H×W×C -> float32 1×C×H×W in [0,1]."""
    t = torch.from_numpy(np.ascontiguousarray(arr)).permute(2, 0, 1).float().div_(255.0)
    return t.unsqueeze(0)


def read_image(path: str | Path) -> torch.Tensor:
    return array_to_tensor(read_image_array(path))


def tensor_to_array(t: torch.Tensor) -> np.ndarray:
    """float 3×H×W (or 1×3×H×W) in [0,1] -> uint8 H×W×3, rounding to nearest."""
    if t.dim() == 4:
        if t.shape[0] != 1:
            raise ValueError("tensor_to_array takes one image")
        t = t[0]
    arr = (t.detach().clamp(0, 1) * 255.0).round().to(torch.uint8).permute(1, 2, 0).cpu().numpy()
    return np.ascontiguousarray(arr)


def write_image(path: str | Path, t: torch.Tensor) -> Path:
    from .atomic import atomic_write_bytes
    import io as _io

    buf = _io.BytesIO()
    Image.fromarray(tensor_to_array(t)).save(buf, format=Path(path).suffix.lstrip(".").upper().replace("JPG", "JPEG") or "PNG")
    return atomic_write_bytes(path, buf.getvalue())
