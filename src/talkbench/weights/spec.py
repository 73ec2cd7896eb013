"""WeightsSpec (what an official weight file is: name, sha256, size, URLs, licence, install place) and
BackboneRef (the network a number was computed with, and the exact weights it ran with)."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

INSTALL_KINDS = ("talkbench", "torch-hub", "insightface-pack", "package")


@dataclass(frozen=True)
class WeightsSpec:
    id: str
    file: str  # file name (or relative path); for a folder: the folder name
    sha256: str | None  # None: no official hash published
    size_bytes: int | None
    urls: tuple[str, ...]
    licence: str
    install: str = "talkbench"  # one of INSTALL_KINDS
    kind: str = "file"  # "file" | "folder"
    manifest: str | None = None  # name of shared/checkpoints/<manifest>.json holding the facts
    backbone: str = ""  # backbone id that metric cards name
    note: str = ""
    package: str | None = None  # distribution name, for install="package"
    members: tuple[tuple[str, str | None, int | None], ...] = ()  # folder contents: (name, sha256, size)
    wrapper_key: str | None = None  # the checkpoint dict key that holds the state_dict

    def __post_init__(self) -> None:
        if self.install not in INSTALL_KINDS:
            raise ValueError(f"{self.id}: install must be one of {INSTALL_KINDS}, got {self.install!r}")
        if self.kind not in ("file", "folder"):
            raise ValueError(f"{self.id}: kind must be 'file' or 'folder', got {self.kind!r}")
        if self.install == "package" and not self.package:
            raise ValueError(f"{self.id}: install='package' needs the distribution name in `package`")

    @property
    def basename(self) -> str:
        return Path(self.file).name

    @property
    def import_hint(self) -> str:
        if self.install == "package":
            return f"pip install {self.package}"
        return f"talkbench weights import PATH --id {self.id}"


@dataclass(frozen=True)
class BackboneRef:
    """The network a metric runs and the exact weights it ran with."""

    id: str
    weights_file: str | None = None
    weights_sha256: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)
