"""Video decode/encode with PyAV. Frames decode lazily, in order."""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Iterator

import numpy as np

from ..errors import InputError

VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v")


def _open(path: Path):
    import av

    if not path.is_file():
        raise InputError(path, "does not exist", "check the path")
    try:
        container = av.open(str(path))
    except Exception as exc:  # av raises a family of InvalidDataError / FFmpegError
        raise InputError(path, f"cannot be opened as a video ({exc})", "re-encode it, e.g. `ffmpeg -i IN -c:v libx264 OUT.mp4`") from exc
    if not container.streams.video:
        container.close()
        raise InputError(path, "has no video stream", "pass a video file or a folder of frames")
    return container


def probe(path: str | Path) -> dict:
    """Frame count (by demuxing packets, no decode), fps, size."""
    path = Path(path)
    container = _open(path)
    try:
        stream = container.streams.video[0]
        count = sum(1 for pkt in container.demux(stream) if pkt.size > 0)
        fps = float(stream.average_rate) if stream.average_rate else None
        return {"frames": count, "fps": fps, "width": stream.codec_context.width, "height": stream.codec_context.height}
    except InputError:
        raise
    except Exception as exc:
        raise InputError(path, f"is corrupt ({exc})", "re-encode or replace the file") from exc
    finally:
        container.close()


def iter_frames(path: str | Path) -> Iterator[np.ndarray]:
    """uint8 H×W×3 RGB frames in presentation order."""
    path = Path(path)
    container = _open(path)
    try:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for frame in container.decode(stream):
            yield frame.to_ndarray(format="rgb24")
    except InputError:
        raise
    except Exception as exc:
        raise InputError(path, f"could not be decoded ({exc})", "re-encode or replace the file") from exc
    finally:
        container.close()


def write_video(path: str | Path, frames: Iterator[np.ndarray] | list[np.ndarray], fps: float = 25.0,
                codec: str = "libx264", crf: int = 18) -> Path:
    """Encode uint8 H×W×3 RGB frames (even sizes for yuv420p) to a file, atomically."""
    import os
    import tempfile

    import av

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    try:
        with av.open(tmp, mode="w") as container:
            stream = container.add_stream(codec, rate=Fraction(fps).limit_denominator(1001))
            stream.pix_fmt = "yuv420p"
            stream.options = {"crf": str(crf)} if codec == "libx264" else {}
            first = True
            for arr in frames:
                if first:
                    stream.height, stream.width = arr.shape[:2]
                    first = False
                for packet in stream.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(arr), format="rgb24")):
                    container.mux(packet)
            for packet in stream.encode():
                container.mux(packet)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path
