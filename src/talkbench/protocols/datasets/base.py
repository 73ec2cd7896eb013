"""What every dataset adapter provides: clip discovery, lazy frame access by reference, validation."""
from __future__ import annotations

import abc
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, ClassVar, Iterable

import numpy as np

from ...errors import InputError
from ...io.images import IMAGE_SUFFIXES, list_images, natural_key, read_image_array
from ...io.video import VIDEO_SUFFIXES, iter_frames, probe
from ...io.frameset import FrameSet
from ..refs import PathEscapeError, Ref, inside_root, positional_index, select_frames


@dataclass
class Finding:
    """One line of `talkbench validate`: something present, missing or malformed."""

    status: str  # "present" | "missing" | "malformed"
    what: str
    detail: str = ""

    def to_dict(self) -> dict[str, str]:
        return {"status": self.status, "what": self.what, "detail": self.detail}


@dataclass
class ClipFiles:
    """Where one clip's frames live: a video file or a folder of images (or a single image)."""

    path: Path
    kind: str  # "video" | "folder" | "image" | "files" (an explicit list of image files)
    audio: Path | None = None
    files: list[Path] = field(default_factory=list)  # kind "files"
    transform: Callable[[np.ndarray], np.ndarray] | None = None  # e.g. a colour correction
    fps_hint: float | None = None

    def count(self) -> int:
        if self.kind == "files":
            return len(self.files)
        if self.kind == "video":
            return probe(self.path)["frames"]
        if self.kind == "folder":
            return len(list_images(self.path))
        return 1

    def fps(self) -> float | None:
        return probe(self.path)["fps"] if self.kind == "video" else self.fps_hint

    def frameset(self, selector: Any = "all") -> FrameSet:
        """Lazily decoded frames chosen by a selector; nothing decodes until the arrays are read."""
        n = self.count()
        idx = select_frames(selector, n)
        names = [f"frame_{i:06d}" for i in idx]
        return FrameSet(lambda: self.decode(idx), names, origin=str(self.path), fps=self.fps())

    def decode(self, idx: list[int]) -> list[np.ndarray]:
        arrays = self._decode(idx)
        return [self.transform(a) for a in arrays] if self.transform is not None else arrays

    def _decode(self, idx: list[int]) -> list[np.ndarray]:
        if self.kind == "files":
            return [read_image_array(self.files[i]) for i in idx]
        if self.kind == "image":
            return [read_image_array(self.path) for _ in idx]
        if self.kind == "folder":
            files = list_images(self.path)
            return [read_image_array(files[i]) for i in idx]
        wanted = set(idx)
        last = max(idx) if idx else -1
        got: dict[int, np.ndarray] = {}
        for i, arr in enumerate(iter_frames(self.path)):
            if i in wanted:
                got[i] = arr
            if i >= last:
                break
        lost = sorted(wanted - set(got))
        if lost:
            raise InputError(self.path, f"ends before frame {lost[0]} (decoded {len(got)} of {len(wanted)} selected frames)",
                             "the video is truncated: download or extract it again")
        return [got[i] for i in idx]


def find_clip_files(folder: Path, stem: str) -> ClipFiles | None:
    """`folder/stem.<video ext>` or `folder/stem/` (images) or `folder/stem.<image ext>`."""
    for ext in VIDEO_SUFFIXES:
        p = folder / f"{stem}{ext}"
        if p.is_file():
            return ClipFiles(p, "video")
    d = folder / stem
    if d.is_dir():
        return ClipFiles(d, "folder")
    for ext in IMAGE_SUFFIXES:
        p = folder / f"{stem}{ext}"
        if p.is_file():
            return ClipFiles(p, "image")
    return None


class DatasetAdapter(abc.ABC):
    """Reads one dataset in its official on-disk layout."""

    name: ClassVar[str]
    layout: ClassVar[str]  # one-paragraph description of the expected layout, printed by `validate`

    def __init__(self, root: str | Path):
        self.root = Path(root)
        if not self.root.exists():
            raise InputError(self.root, "does not exist", f"pass the {self.name} dataset root with --data / --root")
        self._listing: list[str] | None = None

    # -- discovery ------------------------------------------------------------------------------
    @abc.abstractmethod
    def discover(self) -> list[str]:
        """Clip ids present on disk (any order)."""

    def positional_list(self) -> list[str]:
        """The list "@k" references index: natural-sorted clip ids (adapters with a metadata list override)."""
        return self.clip_ids()

    def clip_ids(self) -> list[str]:
        if self._listing is None:
            self._listing = sorted(self.discover(), key=natural_key)
        return self._listing

    def resolve_clip(self, clip: str) -> str:
        k = positional_index(clip)
        if k is None:
            return clip
        listing = self.positional_list()
        if k >= len(listing):
            raise InputError(self.root, f"has {len(listing)} clips, so the positional reference '{clip}' does not exist",
                             "the protocol expects the complete official set; download the missing clips")
        return listing[k]

    # -- access ---------------------------------------------------------------------------------
    @abc.abstractmethod
    def clip_files(self, clip: str, camera: str | None = None) -> ClipFiles:
        """Files of one (resolved) clip; InputError naming the expected path when absent."""

    def frames(self, ref: Ref, color_correction: bool | None = None) -> FrameSet:
        """Lazily decoded frames of a reference (`color_correction` only matters for NeRSemble)."""
        return self.clip_files(self.resolve_clip(ref.clip), ref.camera).frameset(ref.frames)

    def frame_count(self, ref: Ref) -> int:
        return self.clip_files(self.resolve_clip(ref.clip), ref.camera).count()

    def masks(self, ref: Ref) -> FrameSet | None:
        return None

    def audio(self, ref: Ref) -> Path | None:
        files = self.clip_files(self.resolve_clip(ref.clip), ref.camera)
        return files.audio or (files.path if files.kind == "video" else None)

    def camera(self, clip: str, serial: str):
        raise InputError(self.root, f"dataset '{self.name}' has no calibrated cameras", "use a multi-view protocol")

    def safe(self, relative: str | Path) -> Path:
        return inside_root(self.root, relative)

    # -- validation -----------------------------------------------------------------------------
    def validate(self, clips: Iterable[str] | None = None, deep: bool = False) -> list[Finding]:
        """Check the layout; with `clips`, also report which of them are missing."""
        findings = self.check_layout()
        wanted = list(dict.fromkeys(self.resolve_for_validation(clips))) if clips is not None else self.clip_ids()
        for clip in wanted:
            findings.append(self.check_clip(clip, deep))
        return findings

    def resolve_for_validation(self, clips: Iterable[str]) -> list[str]:
        out = []
        for c in clips:
            try:
                out.append(self.resolve_clip(c))
            except InputError:
                out.append(c)
        return out

    def check_layout(self) -> list[Finding]:
        return []

    def check_clip(self, clip: str, deep: bool = False) -> Finding:
        try:
            files = self.clip_files(clip)
        except PathEscapeError as exc:
            return Finding("malformed", clip, str(exc))
        except InputError as exc:
            return Finding("missing", clip, exc.problem)
        return check_files(clip, files, deep, self.clip_problem)

    def clip_problem(self, clip: str, files: ClipFiles, n_frames: int) -> str | None:
        """A dataset-specific reason why a readable clip is still malformed (None if fine)."""
        return None


def check_files(clip: str, files: ClipFiles, deep: bool, extra_check=None) -> Finding:
    try:
        n = files.count()
        if n == 0:
            return Finding("malformed", clip, f"{files.path} holds no frames")
        if deep:
            files.decode(list(range(n)))
        else:
            files.decode([0])
    except InputError as exc:
        return Finding("malformed", clip, str(exc))
    problem = extra_check(clip, files, n) if extra_check else None
    if problem:
        return Finding("malformed", clip, problem)
    return Finding("present", clip, f"{n} frames ({files.kind} {files.path.name})")
