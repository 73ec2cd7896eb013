"""Your own clips: a folder (one video or frame folder per clip) or a JSONL list of clips.

JSONL lines: {"clip": "name", "path": "relative/path.mp4", "audio": "optional/relative.wav"};
paths are relative to the JSONL file's folder and may not leave it. Results on custom data are
marked non-comparable.
"""
from __future__ import annotations

from pathlib import Path

from ...errors import InputError
from ...io.atomic import read_jsonl
from ...io.images import IMAGE_SUFFIXES, list_images
from ...io.video import VIDEO_SUFFIXES
from ..refs import ITEM_ID, check_inside, inside_root
from .base import ClipFiles, DatasetAdapter, Finding
from .clips import ClipFolderDataset


class CustomClips(ClipFolderDataset):
    name = "custom"
    layout = "a folder with one video or frame folder per clip, or a JSONL list {clip, path, audio}"

    def __init__(self, root):
        super().__init__(root)
        self.listing = self._read_list() if self.root.is_file() else None

    def _read_list(self) -> dict[str, dict]:
        try:
            rows = read_jsonl(self.root)
        except ValueError as exc:
            raise InputError(self.root, f"is not valid JSONL ({exc})", "one JSON object per line") from exc
        out = {}
        for n, row in enumerate(rows, 1):
            if not isinstance(row, dict) or not isinstance(row.get("clip"), str) or not isinstance(row.get("path"), str):
                raise InputError(self.root, f"line {n} needs string fields 'clip' and 'path'", "see talkbench/protocols/FORMAT.md")
            if not ITEM_ID.match(row["clip"]):
                raise InputError(self.root, f"line {n}: clip name {row['clip']!r} has characters other than letters, digits, . _ + -",
                                 "rename the clip")
            out[row["clip"]] = row
        return out

    @property
    def base(self) -> Path:
        return self.root.parent if self.listing is not None else self.root

    def discover(self) -> list[str]:
        if self.listing is not None:
            return list(self.listing)
        clips = super().discover()
        bad = [c for c in clips if not ITEM_ID.match(c)]
        if bad:  # clip names become item ids and prediction file names
            raise InputError(self.root / bad[0], f"clip name {bad[0]!r} has characters other than letters, digits, . _ + -"
                             + (f" (and {len(bad) - 1} more clips)" if len(bad) > 1 else ""),
                             "rename the clip (e.g. spaces to _), or list it in a JSONL file with a valid 'clip' name")
        return clips

    def clip_files(self, clip: str, camera: str | None = None) -> ClipFiles:
        """The clip's files, every one of them (frames of a folder included) inside the root once symlinks
        are resolved: a symlink out of the root is refused (PathEscapeError), never read."""
        files = self._clip_files(clip, camera)
        for path in [files.path, *([files.audio] if files.audio else []), *files.files,
                     *(list_images(files.path) if files.kind == "folder" else [])]:
            check_inside(self.base, path)
        return files

    def _clip_files(self, clip: str, camera: str | None = None) -> ClipFiles:
        if self.listing is None:
            return super().clip_files(clip, camera)
        row = self.listing.get(clip)
        if row is None:
            raise InputError(self.root, f"lists no clip '{clip}'", "add it to the list")
        path = inside_root(self.base, row["path"])
        audio = inside_root(self.base, row["audio"]) if row.get("audio") else None
        if path.is_dir():
            return ClipFiles(path, "folder", audio)
        if path.suffix.lower() in VIDEO_SUFFIXES:
            return ClipFiles(path, "video", audio)
        if path.suffix.lower() in IMAGE_SUFFIXES:
            return ClipFiles(path, "image", audio)
        raise InputError(path, "is neither a video, an image nor a folder", "point 'path' at the clip")

    def check_layout(self) -> list[Finding]:
        return [] if self.listing is not None else DatasetAdapter.check_layout(self)
