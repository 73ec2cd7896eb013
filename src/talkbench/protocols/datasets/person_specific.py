"""Person-specific talking videos (AD-NeRF / RAD-NeRF / ER-NeRF / GeneFace / Talk3D style).

Layout: `<root>/<name>.mp4` or ER-NeRF's `<root>/<name>/<name>.mp4` (optional `aud.wav` beside it),
25 fps; the last 1/11 of the frames is the test split.
"""
from __future__ import annotations

from pathlib import Path

from ...errors import InputError
from .base import ClipFiles, find_clip_files
from .clips import ClipFolderDataset

REQUIRED_FPS = 25.0


class PersonSpecific(ClipFolderDataset):
    name = "person-specific"
    layout = "<root>/<name>.mp4 or <root>/<name>/<name>.mp4 (+ aud.wav), 25 fps"

    def is_clip_folder(self, p: Path) -> bool:
        return find_clip_files(p, p.name) is not None or super().is_clip_folder(p)

    def clip_files(self, clip: str, camera: str | None = None) -> ClipFiles:
        nested = self.safe(clip)
        if nested.is_dir() and (inner := find_clip_files(nested, clip)) is not None:
            wav = nested / "aud.wav"
            inner.audio = wav if wav.is_file() else None
            return inner
        files = find_clip_files(self.root, clip)
        if files is None:
            raise InputError(self.root / f"{clip}.mp4", "does not exist (nor <name>/<name>.mp4)", f"put the video of '{clip}' there")
        return files

    def clip_problem(self, clip: str, files: ClipFiles, n_frames: int) -> str | None:
        fps = files.fps()
        if files.kind == "video" and (fps is None or abs(fps - REQUIRED_FPS) > 0.01):
            return f"{fps} fps; these methods require {REQUIRED_FPS:g} fps (ffmpeg -i IN -r 25 OUT.mp4)"
        return None
