"""The embedded mini benchmark (talkbench.benchmarks.mini): built offline, read like any dataset.

Layout (see talkbench/benchmarks/mini/build.py): `portrait/<identity>/`, `motion/<identity>/<track>/`
(frame folders; audio in `speech/<track>.wav`), `multiview/<identity>/<serial>/` with
`masks/<serial>/` and `cameras.json`, and `generator.json` describing the build.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ...errors import InputError
from ...io.atomic import read_json
from ...models.base import Camera
from ...io.frameset import FrameSet
from ..refs import Ref
from .base import ClipFiles, DatasetAdapter, Finding, check_files

KINDS = ("portrait", "motion", "multiview")


class MiniDataset(DatasetAdapter):
    name = "mini"
    layout = ("the folder `talkbench demo` builds (talkbench.benchmarks.mini.build): portrait/<id>/, motion/<id>/<track>/, "
              "speech/<track>.wav, multiview/<id>/<serial>/ + masks/ + cameras.json, generator.json")

    def generator(self) -> dict:
        path = self.root / "generator.json"
        if not path.is_file():
            raise InputError(path, "does not exist, so this is not a complete mini benchmark build",
                             "build it with `talkbench demo` (or talkbench.benchmarks.mini.build.build_mini())")
        return read_json(path)

    @property
    def fps(self) -> float:
        return float(self.generator()["inputs"]["config"]["fps"])

    def discover(self) -> list[str]:
        out = []
        for kind in KINDS:
            base = self.root / kind
            if not base.is_dir():
                continue
            for ident in sorted(p for p in base.iterdir() if p.is_dir()):
                if kind == "motion":
                    out += [f"motion/{ident.name}/{t.name}" for t in sorted(ident.iterdir()) if t.is_dir()]
                else:
                    out.append(f"{kind}/{ident.name}")
        return out

    def _folder(self, clip: str, camera: str | None, sub: str = "") -> Path:
        parts = clip.split("/")
        if parts[0] not in KINDS or len(parts) != (3 if parts[0] == "motion" else 2):
            raise InputError(None, f"mini clip '{clip}' must be portrait/<id>, motion/<id>/<track> or multiview/<id>",
                             "fix the manifest")
        if parts[0] == "multiview":
            if camera is None:
                raise InputError(None, f"multiview clip '{clip}' needs a camera serial", "add 'camera' or 'serials' to the reference")
            return self.safe(f"{clip}/{sub}{camera}")
        if camera is not None:
            raise InputError(None, f"clip '{clip}' has no cameras", "drop 'camera' from the reference")
        return self.safe(clip)

    def clip_files(self, clip: str, camera: str | None = None) -> ClipFiles:
        folder = self._folder(clip, camera)
        if not folder.is_dir():
            raise InputError(folder, "does not exist", "rebuild the mini benchmark (`talkbench demo --rebuild`)")
        audio = None
        if clip.startswith("motion/"):
            wav = self.safe(f"speech/{clip.split('/')[2]}.wav")
            audio = wav if wav.is_file() else None
        return ClipFiles(folder, "folder", audio, fps_hint=self.fps)

    def masks(self, ref: Ref) -> FrameSet | None:
        if not ref.clip.startswith("multiview/") or ref.camera is None:
            return None
        folder = self._folder(ref.clip, ref.camera, "masks/")
        return ClipFiles(folder, "folder", fps_hint=self.fps).frameset(ref.frames) if folder.is_dir() else None

    def camera(self, clip: str, serial: str) -> Camera:
        path = self.safe(f"{clip}/cameras.json")
        if not path.is_file():
            raise InputError(path, "does not exist", "rebuild the mini benchmark")
        cams = read_json(path)
        if serial not in cams:
            raise InputError(path, f"has no camera '{serial}'", f"use one of {sorted(cams)}")
        c = cams[serial]
        return Camera(np.asarray(c["cam2world"], dtype=np.float64), np.asarray(c["intrinsics"], dtype=np.float64), c["recipe"])

    def check_layout(self) -> list[Finding]:
        try:
            gen = self.generator()
        except InputError as exc:
            return [Finding("missing", "generator.json", exc.problem)]
        return [Finding("present", "generator.json", f"generator v{gen['inputs']['generator']}, content {gen['content_sha256'][:12]}")]

    def check_clip(self, clip: str, deep: bool = False) -> Finding:
        if not clip.startswith("multiview/"):
            return super().check_clip(clip, deep)
        try:
            serials = sorted(read_json(self.safe(f"{clip}/cameras.json")))
            for serial in serials:
                finding = check_files(f"{clip}:{serial}", self.clip_files(clip, serial), deep)
                if finding.status != "present":
                    return finding
        except (InputError, ValueError, OSError) as exc:  # e.g. no cameras.json in an empty root
            return Finding("missing", clip, str(exc))
        return Finding("present", clip, f"{len(serials)} cameras")
