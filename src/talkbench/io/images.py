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


#: PIL modes holding 16 bits per sample (grayscale PNG / TIFF)
_SIXTEEN_BIT_MODES = ("I;16", "I;16B", "I;16L", "I;16N")
#: frames with more pixels than this are refused before decoding (TALKBENCH_MAX_PIXELS raises it)
DEFAULT_MAX_PIXELS = 4096 * 4096


def max_pixels() -> int:
    import os

    raw = os.environ.get("TALKBENCH_MAX_PIXELS", "")
    try:
        return int(raw) if raw else DEFAULT_MAX_PIXELS
    except ValueError:
        raise InputError(None, f"TALKBENCH_MAX_PIXELS={raw!r} is not a whole number", "set it to a pixel count, e.g. 67108864") from None


class FrameTooLargeError(InputError):
    """A frame above the pixel limit: the whole run stops up front (exit 2), it is not a per-frame reason."""


def check_frame_size(path: str | Path, width: int, height: int) -> None:
    """Refuse a frame larger than the pixel limit up front (before decoding it and its float copies)."""
    limit = max_pixels()
    if width * height > limit:
        raise FrameTooLargeError(path, f"is {width}×{height} = {width * height} pixels, more than the limit of {limit} "
                               f"(a float64 copy alone would take {width * height * 3 * 8 / 2**30:.1f} GiB)",
                         f"downscale the frames, or raise the limit with TALKBENCH_MAX_PIXELS={width * height} if the memory allows")


def png_bit_depth(path: Path) -> int | None:
    """The bit depth in a PNG's IHDR chunk (None for other files)."""
    with open(path, "rb") as fh:
        head = fh.read(25)
    return head[24] if len(head) == 25 and head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR" else None


def sixteen_to_eight(arr: np.ndarray) -> np.ndarray:
    """uint16 samples -> uint8 by round(v / 257): 65535 -> 255, and 8-bit content stored as v·257 is exact."""
    return ((arr.astype(np.uint32) * 2 + 257) // 514).astype(np.uint8)


def _read_sixteen_bit_png(path: Path, with_alpha: bool) -> np.ndarray:
    import cv2

    raw = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if raw is None or raw.dtype != np.uint16:
        raise InputError(path, "is a 16-bit PNG that cannot be decoded", "re-export the file as an 8-bit PNG")
    arr = sixteen_to_eight(raw)
    if arr.ndim == 2:
        arr = np.repeat(arr[..., None], 3, axis=2)
    elif arr.shape[2] == 4:
        arr = arr[..., [2, 1, 0, 3]]  # BGRA -> RGBA
    else:
        arr = arr[..., 2::-1]  # BGR -> RGB
    if with_alpha and arr.shape[2] == 3:
        arr = np.concatenate([arr, np.full(arr.shape[:2] + (1,), 255, np.uint8)], axis=2)
    return np.ascontiguousarray(arr if with_alpha else arr[..., :3])


def read_image_array(path: str | Path, with_alpha: bool = False) -> np.ndarray:
    """uint8 H×W×3 (or H×W×4 with alpha) RGB array; a clear error for unreadable files.

    16-bit images are scaled to 8 bits by round(v / 257) (never clipped); frames above the pixel limit
    (TALKBENCH_MAX_PIXELS) are refused before they are decoded."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "does not exist", "check the path")
    try:
        with Image.open(path) as im:
            check_frame_size(path, *im.size)
            if png_bit_depth(path) == 16:
                return _read_sixteen_bit_png(path, with_alpha)
            im.load()
            if im.mode in _SIXTEEN_BIT_MODES:
                gray = sixteen_to_eight(np.asarray(im, dtype=np.uint16))
                return _gray_with_alpha(gray) if with_alpha else np.repeat(gray[..., None], 3, axis=2)
            if im.mode in ("I", "F"):
                raise InputError(path, f"holds {'32-bit integer' if im.mode == 'I' else 'floating-point'} samples, "
                                       "whose scale to 8-bit colour is not defined", "re-export the file as an 8- or 16-bit PNG")
            mode = "RGBA" if with_alpha else "RGB"
            return np.asarray(im.convert(mode)).copy()
    except FrameTooLargeError:
        raise
    except Image.DecompressionBombError as exc:
        raise InputError(path, f"is too large to decode safely ({exc})", "downscale the image") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise InputError(path, f"cannot be decoded as an image ({exc})", "re-export the file as PNG or JPEG") from exc


def _gray_with_alpha(gray: np.ndarray) -> np.ndarray:
    return np.concatenate([np.repeat(gray[..., None], 3, axis=2), np.full(gray.shape + (1,), 255, np.uint8)], axis=2)


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
