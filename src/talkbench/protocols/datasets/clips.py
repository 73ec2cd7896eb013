"""Datasets stored as one video (or one frame folder) per clip under a folder: the common case."""
from __future__ import annotations

import re
from pathlib import Path
from typing import ClassVar

from ...errors import InputError
from ...io.images import IMAGE_SUFFIXES
from ...io.video import VIDEO_SUFFIXES
from .base import ClipFiles, DatasetAdapter, Finding, find_clip_files


class ClipFolderDataset(DatasetAdapter):
    """`<root>/<clip_dir>/<clip>.mp4` or `<root>/<clip_dir>/<clip>/` (frames)."""

    clip_dir: ClassVar[str] = ""
    #: clip ids that do not match are reported as malformed names
    name_pattern: ClassVar[re.Pattern | None] = None
    name_hint: ClassVar[str] = ""

    @property
    def folder(self) -> Path:
        return self.safe(self.clip_dir) if self.clip_dir else self.root

    def discover(self) -> list[str]:
        if not self.folder.is_dir():
            return []
        out = []
        for p in self.folder.iterdir():
            if p.name.startswith("."):
                continue
            if p.is_file() and p.suffix.lower() in VIDEO_SUFFIXES + IMAGE_SUFFIXES:
                out.append(p.stem)
            elif p.is_dir() and self.is_clip_folder(p):
                out.append(p.name)
        return out

    def is_clip_folder(self, p: Path) -> bool:
        return any(c.suffix.lower() in IMAGE_SUFFIXES for c in p.iterdir())

    def clip_files(self, clip: str, camera: str | None = None) -> ClipFiles:
        self.safe(Path(self.clip_dir) / clip if self.clip_dir else clip)
        files = find_clip_files(self.folder, clip)
        if files is None:
            raise InputError(self.folder / f"{clip}.mp4", "does not exist (nor a frame folder of that name)",
                             f"download clip '{clip}' into {self.folder}")
        return files

    def check_layout(self) -> list[Finding]:
        if not self.folder.is_dir():
            return [Finding("missing", str(self.folder), f"expected layout: {self.layout}")]
        if self.name_pattern is None:
            return []
        return [Finding("malformed", c, f"clip name does not follow {self.name_hint}") for c in self.clip_ids()
                if not self.name_pattern.match(c)]
