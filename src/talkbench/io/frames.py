"""A FrameSource is a folder of images or a video file, read as batches of N×3×H×W tensors."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Protocol

import numpy as np
import torch

from ..errors import InputError
from .images import IMAGE_SUFFIXES, FrameTooLargeError, check_frame_size, list_images, read_image_array
from .video import VIDEO_SUFFIXES, iter_frames, probe


@dataclass
class Frame:
    """One decoded frame, or the reason it could not be decoded."""

    index: int
    name: str  # file name for folders, "frame_000012" for videos
    path: str
    array: np.ndarray | None  # uint8 H×W×3
    error: str | None = None


class FrameSource(Protocol):
    path: Path

    def __len__(self) -> int: ...
    def names(self) -> list[str]: ...
    def __iter__(self) -> Iterator[Frame]: ...


class ImageFolder:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.files = list_images(self.path)

    def __len__(self) -> int:
        return len(self.files)

    def names(self) -> list[str]:
        return [p.name for p in self.files]

    def __iter__(self) -> Iterator[Frame]:
        for i, p in enumerate(self.files):
            try:
                yield Frame(i, p.name, str(p), read_image_array(p))
            except FrameTooLargeError:
                raise
            except InputError as exc:
                yield Frame(i, p.name, str(p), None, str(exc))


class VideoFile:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.info = probe(self.path)
        if self.info.get("width") and self.info.get("height"):
            check_frame_size(self.path, self.info["width"], self.info["height"])

    def __len__(self) -> int:
        return self.info["frames"]

    def names(self) -> list[str]:
        return [f"frame_{i:06d}" for i in range(len(self))]

    def __iter__(self) -> Iterator[Frame]:
        n = 0
        try:
            for n, arr in enumerate(iter_frames(self.path)):
                yield Frame(n, f"frame_{n:06d}", str(self.path), arr)
            n += 1
        except InputError as exc:
            for k in range(n, len(self)):
                yield Frame(k, f"frame_{k:06d}", str(self.path), None, str(exc))
            return
        for k in range(n, len(self)):  # fewer frames decoded than demuxed packets
            yield Frame(k, f"frame_{k:06d}", str(self.path), None, f"{self.path}: frame {k} could not be decoded")


def open_frames(path: str | Path) -> FrameSource:
    path = Path(path)
    if path.is_dir():
        return ImageFolder(path)
    if path.is_file() and path.suffix.lower() in VIDEO_SUFFIXES:
        return VideoFile(path)
    if path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES:
        raise InputError(path, "is a single image", "pass the folder that holds the frames")
    if not path.exists():
        raise InputError(path, "does not exist", "check the path")
    raise InputError(path, f"has an unsupported type '{path.suffix}'", f"use a folder of {'/'.join(IMAGE_SUFFIXES)} files or a {'/'.join(VIDEO_SUFFIXES)} video")


def to_batch(arrays: list[np.ndarray], dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """uint8 H×W×3 arrays (same size) -> N×3×H×W in [0,1].

    float64 keeps 8-bit values exact enough for pixel metrics to match references to 1e-9; the
    float32 default is what networks take.
    """
    return torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2).to(dtype).div_(255.0)
