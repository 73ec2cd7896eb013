"""NeRSemble (Kirschstein et al., SIGGRAPH 2023), v1 (per-frame PNGs) and v2 (per-camera videos).

Clips are "<pid:03d>/<SEQUENCE>" with v2 sequence names; the v1 adapter maps them to v1 folder
names through an alias table. Cameras are addressed by serial, never by index. Calibration:
`camera_params.json` = {"world_2_cam": {serial: 4×4 (OpenCV, world→camera)}, "intrinsics": one
shared 3×3 (raw data, full 2200×3208 resolution) or {serial: 3×3} (benchmark files)}.
"""
from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import numpy as np

from ...errors import InputError
from ...io.atomic import read_json
from ...io.images import natural_key
from ...io.video import VIDEO_SUFFIXES
from ...models.base import Camera
from ...io.frameset import FrameSet
from ..refs import Ref
from .base import ClipFiles, DatasetAdapter, Finding, check_files

# index order of all official toolkits (specs/protocols.md §1.1)
SERIALS: tuple[str, ...] = (
    "222200042", "222200044", "222200046", "222200040", "222200036", "222200048", "220700191", "222200041",
    "222200037", "222200038", "222200047", "222200043", "222200049", "222200039", "222200045", "221501007",
)
FULL_WIDTH, FULL_HEIGHT = 2200, 3208
FPS = 73.0
#: v2 sequence name -> the names it had in v1 folders
V1_ALIASES: dict[str, tuple[str, ...]] = {"SEN-10-port_strong_smokey": ("SEN-01-port_strong_smokey",)}


def split_clip(clip: str) -> tuple[str, str]:
    pid, sep, seq = clip.partition("/")
    if not sep or not pid.isdigit() or not seq or "/" in seq:
        raise InputError(None, f"NeRSemble clip '{clip}' must look like '018/EMO-1-shout+laugh'", "fix the manifest")
    return pid, seq


class NeRSembleBase(DatasetAdapter):
    calibration_path: ClassVar[str]  # relative to <root>/<pid>/

    def participants(self) -> list[str]:
        return sorted((p.name for p in self.root.iterdir() if p.is_dir() and p.name.isdigit()), key=natural_key)

    def calibration(self, pid: str) -> dict:
        path = self.safe(Path(pid) / self.calibration_path)
        if not path.is_file():
            raise InputError(path, "does not exist", f"download the calibration of participant {pid}")
        try:
            data = read_json(path)
        except ValueError as exc:
            raise InputError(path, f"is not valid JSON ({exc})", "download it again") from exc
        problem = calibration_problem(data)
        if problem:
            raise InputError(path, problem, "use the official camera_params.json")
        return data

    def camera(self, clip: str, serial: str) -> Camera:
        pid, _ = split_clip(self.resolve_clip(clip))
        data = self.calibration(pid)
        if serial not in data["world_2_cam"]:
            raise InputError(self.root / pid / self.calibration_path, f"has no camera {serial}", "check the serial")
        w2c = np.asarray(data["world_2_cam"][serial], dtype=np.float64)
        K = np.asarray(data["intrinsics"][serial] if isinstance(data["intrinsics"], dict) else data["intrinsics"], dtype=np.float64)
        width, height = float(data.get("width", FULL_WIDTH)), float(data.get("height", FULL_HEIGHT))
        norm = np.diag([1 / width, 1 / height, 1.0]) @ K
        return Camera(cam2world=np.linalg.inv(w2c), intrinsics=norm, recipe="opencv")

    def check_layout(self) -> list[Finding]:
        out = []
        pids = self.participants()
        if not pids:
            return [Finding("missing", str(self.root), f"no participant folders; expected layout: {self.layout}")]
        for pid in pids:
            try:
                data = self.calibration(pid)
                cc = "" if not self.colour_files(pid) else ", colour correction files present"
                kind = "per-camera" if isinstance(data["intrinsics"], dict) else "shared"
                out.append(Finding("present", f"{pid}/{self.calibration_path}", f"16 cameras, {kind} intrinsics{cc}"))
            except InputError as exc:
                status = "missing" if "does not exist" in exc.problem else "malformed"
                out.append(Finding(status, f"{pid}/{self.calibration_path}", exc.problem))
        return out

    def colour_files(self, pid: str) -> bool:
        return False

    def check_clip(self, clip: str, deep: bool = False) -> Finding:
        try:
            pid, seq = split_clip(clip)
            folder = self.sequence_folder(pid, seq)
        except InputError as exc:
            return Finding("missing", clip, exc.problem)
        problems, counts = [], set()
        for serial in SERIALS:
            try:
                files = self.clip_files(clip, serial)
            except InputError as exc:
                problems.append(f"camera {serial}: {exc.problem}")
                continue
            f = check_files(f"{clip}/{serial}", files, deep)
            if f.status != "present":
                problems.append(f.detail)
            else:
                counts.add(files.count())
        strays = self.stray_serials(folder)
        if strays:
            problems.append(f"unknown camera serials {strays} (expected the 16 NeRSemble serials)")
        if len(counts) > 1:
            problems.append(f"cameras disagree on the frame count: {sorted(counts)}")
        if problems:
            absent = sum("does not exist" in p for p in problems)
            status = "missing" if absent == len(SERIALS) == len(problems) else "malformed"
            return Finding(status, clip, "; ".join(problems))
        return Finding("present", clip, f"16 cameras × {counts.pop()} frames")

    def sequence_folder(self, pid: str, seq: str) -> Path:
        raise NotImplementedError

    def stray_serials(self, folder: Path) -> list[str]:
        return []


def calibration_problem(data) -> str | None:
    if not isinstance(data, dict) or "world_2_cam" not in data or "intrinsics" not in data:
        return "lacks 'world_2_cam' or 'intrinsics'"
    serials = set(data["world_2_cam"])
    if serials != set(SERIALS):
        missing, extra = sorted(set(SERIALS) - serials), sorted(serials - set(SERIALS))
        return f"has wrong camera serials (missing {missing}, unknown {extra})"
    for s, m in data["world_2_cam"].items():
        if np.asarray(m, dtype=np.float64).shape != (4, 4):
            return f"world_2_cam[{s}] is not 4×4"
    K = data["intrinsics"]
    mats = K.values() if isinstance(K, dict) else [K]
    if any(np.asarray(k, dtype=np.float64).shape != (3, 3) for k in mats):
        return "intrinsics are not 3×3"
    if isinstance(K, dict) and set(K) != set(SERIALS):
        return "per-camera intrinsics do not name the 16 serials"
    return None


def _serial_of(name: str) -> str | None:
    stem = name.split(".")[0]
    return stem[4:] if stem.startswith("cam_") else None


class NeRSembleV1(NeRSembleBase):
    name = "nersemble-v1"
    calibration_path = "camera_params.json"
    layout = ("<root>/<pid>/camera_params.json, <root>/<pid>/sequences/<SEQ>/frame_<t:05d>/images-2x-73fps/cam_<serial>.png, "
              "alpha_map-73fps/cam_<serial>.png, <root>/<pid>/annotations/<SEQ>/color_correction/<serial>.npy")
    IMAGES, ALPHA = "images-2x-73fps", "alpha_map-73fps"

    def discover(self) -> list[str]:
        out = []
        for pid in self.participants():
            seqs = self.root / pid / "sequences"
            if seqs.is_dir():
                out += [f"{pid}/{s.name}" for s in seqs.iterdir() if s.is_dir()]
        return out

    def sequence_folder(self, pid: str, seq: str) -> Path:
        for name in (seq, *V1_ALIASES.get(seq, ())):
            folder = self.safe(Path(pid) / "sequences" / name)
            if folder.is_dir():
                return folder
        raise InputError(self.root / pid / "sequences" / seq, "does not exist", f"download sequence {seq} of participant {pid}")

    def timesteps(self, folder: Path) -> list[Path]:
        return sorted((p for p in folder.iterdir() if p.is_dir() and p.name.startswith("frame_")), key=lambda p: natural_key(p.name))

    def _files(self, clip: str, serial: str | None, sub: str) -> list[Path]:
        if serial is None:
            raise InputError(None, f"NeRSemble clip '{clip}' needs a camera serial", "add 'camera' to the reference")
        pid, seq = split_clip(clip)
        files = [t / sub / f"cam_{serial}.png" for t in self.timesteps(self.sequence_folder(pid, seq))]
        absent = [f for f in files if not f.is_file()]
        if absent:
            raise InputError(absent[0], f"does not exist ({len(absent)} of {len(files)} timesteps lack camera {serial})",
                             "download the complete sequence")
        return files

    def clip_files(self, clip: str, camera: str | None = None) -> ClipFiles:
        files = self._files(clip, camera, self.IMAGES)
        return ClipFiles(files[0].parent if files else self.root, "files", files=files, fps_hint=FPS)

    def frames(self, ref: Ref, color_correction: bool | None = None) -> FrameSet:
        clip = self.resolve_clip(ref.clip)
        files = self.clip_files(clip, ref.camera)
        if color_correction:
            files.transform = self.colour_transform(clip, ref.camera)
        return files.frameset(ref.frames)

    def colour_transform(self, clip: str, serial: str):
        pid, seq = split_clip(clip)
        folder = self.sequence_folder(pid, seq).name
        path = self.safe(Path(pid) / "annotations" / folder / "color_correction" / f"{serial}.npy")
        if not path.is_file():
            raise InputError(path, "does not exist", "download the annotations, or run a protocol variant without colour correction")
        A = np.load(path).astype(np.float64)
        if A.shape[0] < 3 or A.shape[1] < 4:
            raise InputError(path, f"has shape {A.shape}; an affine colour transform needs at least 3×4", "download it again")

        def apply(arr: np.ndarray) -> np.ndarray:
            rgb = arr.astype(np.float64) / 255.0
            out = rgb @ A[:3, :3] + A[:3, 3]
            return np.round(np.clip(out, 0.0, 1.0) * 255.0).astype(np.uint8)

        return apply

    def masks(self, ref: Ref) -> FrameSet | None:
        clip = self.resolve_clip(ref.clip)
        try:
            files = self._files(clip, ref.camera, self.ALPHA)
        except InputError:
            return None
        return ClipFiles(files[0].parent, "files", files=files).frameset(ref.frames)

    def colour_files(self, pid: str) -> bool:
        return (self.root / pid / "annotations").is_dir()

    def stray_serials(self, folder: Path) -> list[str]:
        steps = self.timesteps(folder)
        if not steps or not (steps[0] / self.IMAGES).is_dir():
            return []
        found = {_serial_of(p.name) for p in (steps[0] / self.IMAGES).iterdir()}
        return sorted(s for s in found - set(SERIALS) if s)


class NeRSembleV2(NeRSembleBase):
    name = "nersemble-v2"
    calibration_path = "calibration/camera_params.json"
    layout = ("<root>/<pid>/calibration/camera_params.json (+ color_calibration.json), "
              "<root>/<pid>/sequences/<SEQ>/images/cam_<serial>.mp4 (nersemble-data toolkit)")

    def discover(self) -> list[str]:
        out = []
        for pid in self.participants():
            seqs = self.root / pid / "sequences"
            if seqs.is_dir():
                out += [f"{pid}/{s.name}" for s in seqs.iterdir() if s.is_dir() and (s / "images").is_dir()]
        return out

    def sequence_folder(self, pid: str, seq: str) -> Path:
        folder = self.safe(Path(pid) / "sequences" / seq / "images")
        if not folder.is_dir():
            raise InputError(folder, "does not exist", f"download sequence {seq} of participant {pid}")
        return folder

    def clip_files(self, clip: str, camera: str | None = None) -> ClipFiles:
        if camera is None:
            raise InputError(None, f"NeRSemble clip '{clip}' needs a camera serial", "add 'camera' to the reference")
        pid, seq = split_clip(clip)
        path = self.sequence_folder(pid, seq) / f"cam_{camera}.mp4"
        if not path.is_file():
            raise InputError(path, "does not exist", f"download camera {camera} of {clip}")
        return ClipFiles(path, "video")

    def frames(self, ref: Ref, color_correction: bool | None = None) -> FrameSet:
        if color_correction:
            raise InputError(self.root, "v2 colour calibration (polynomial CCM in linear RGB) is not implemented",
                             "run a protocol variant with color_correction: false (the toolkit's default)")
        return super().frames(ref)

    def colour_files(self, pid: str) -> bool:
        return (self.root / pid / "calibration" / "color_calibration.json").is_file()

    def stray_serials(self, folder: Path) -> list[str]:
        found = {_serial_of(p.name) for p in folder.iterdir() if p.suffix.lower() in VIDEO_SUFFIXES}
        return sorted(s for s in found - set(SERIALS) if s)
