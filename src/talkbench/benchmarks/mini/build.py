"""Build (or find in the cache) the mini benchmark's data set.

Deterministic for a given generator version, configuration, the three photo files, the speech
synthesiser and the mediapipe version; the folder name is a hash of exactly those, so a cached
copy is reused only when it would be rebuilt byte for byte. Layout under the root:

    portrait/<identity>/000000.png            the source image of each identity
    motion/<identity>/<track>/%06d.png        <identity> moved by <track>'s motion and speech (ground truth)
    motion/<identity>/<track>.npy             its 478×2 ground-truth landmarks per frame (float32)
    motion/<identity>/<track>.json            its per-frame motion parameters
    speech/<track>.wav                        16 kHz mono speech that drives <track>'s mouth
    multiview/<identity>/<serial>/%06d.png    renders of the textured face mesh; masks in
    multiview/<identity>/masks/<serial>/      ... and cameras in multiview/<identity>/cameras.json
    generator.json                            what was built, from what, and the content hash
"""
from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from ...io.hashing import sha256_file, sha256_json
from ...logs import get_logger
from ...baselines.facemesh import detect_mesh
from ...baselines.meshwarp import build_rig, to_frames, to_tensor, warp
from . import multiview, speech
from .motion import make_track, posed_points
from .sources import T1_NAMES, photo_hashes, portraits

GENERATOR_VERSION = "2"  # 2: speech from the built-in formant synthesiser
IDENTITIES: tuple[str, ...] = (*T1_NAMES, "tom-hanks", "astronaut")
#: cross-identity pairs: identity k is driven by identity (k + CROSS_SHIFT) mod 8
CROSS_SHIFT = 3
WARP_BATCH = 12
MV_SIZE = 128  # multiview render size (the mini-nxn items' resolution)
log = get_logger(__name__)


@dataclass(frozen=True)
class MiniConfig:
    size: int = 256  # portrait and clip resolution
    fps: float = 25.0
    n_frames: int = 24  # frames per driving clip (the source portrait is not among them)
    seed: int = 0
    mv_size: int = MV_SIZE
    mv_mouth: tuple[float, ...] = (0.0,)  # one multiview timestep per mouth opening

    def to_dict(self) -> dict:
        return asdict(self)


def cross_driver(identity: str) -> str:
    k = IDENTITIES.index(identity)
    return IDENTITIES[(k + CROSS_SHIFT) % len(IDENTITIES)]


def clip_motion(identity: str, track: str) -> str:
    return f"motion/{identity}/{track}"


def clip_portrait(identity: str) -> str:
    return f"portrait/{identity}"


def clip_multiview(identity: str) -> str:
    return f"multiview/{identity}"


def cache_inputs(cfg: MiniConfig) -> dict:
    import mediapipe

    return {"generator": GENERATOR_VERSION, "config": cfg.to_dict(), "photos": photo_hashes(),
            "speech": speech.SYNTH_VERSION, "mediapipe": mediapipe.__version__}


def default_parent(out: Path | None = None) -> Path:
    """$TALKBENCH_HOME/cache/mini when set, else <out>/data (out defaults to talkbench-out)."""
    home = os.environ.get("TALKBENCH_HOME")
    if home:
        return Path(home) / "cache" / "mini"
    return Path(out or "talkbench-out") / "data"


def build_mini(parent: Path | None = None, cfg: MiniConfig = MiniConfig(), force: bool = False) -> Path:
    """The root of the built mini data set (built now unless a complete cached copy exists)."""
    inputs = cache_inputs(cfg)
    key = sha256_json(inputs)
    root = Path(parent or default_parent()) / f"mini-{key[:16]}"
    if (root / "generator.json").is_file() and not force:
        return root
    tmp = root.with_name(f"{root.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    started = time.perf_counter()
    report = _generate(tmp, cfg)
    report.update(inputs=inputs, key=key, content_sha256=content_hash(tmp), seconds=round(time.perf_counter() - started, 1))
    (tmp / "generator.json").write_text(json.dumps(report, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    if root.exists():
        shutil.rmtree(root)
    os.replace(tmp, root)
    log.info("built the mini benchmark in %s (%.1f s)", root, report["seconds"])
    return root


def content_hash(root: Path) -> str:
    """sha256 over (relative path, file sha256) of every file under root except generator.json."""
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.name != "generator.json")
    return sha256_json([[p.relative_to(root).as_posix(), sha256_file(p)] for p in files])


def _save_frames(folder: Path, frames: list[np.ndarray]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i, f in enumerate(frames):
        Image.fromarray(f).save(folder / f"{i:06d}.png", optimize=False, compress_level=1)


def _generate(root: Path, cfg: MiniConfig) -> dict:
    faces = portraits(cfg.size)
    meshes = {}
    for name in IDENTITIES:
        mesh = detect_mesh(faces[name])
        if mesh is None:
            raise RuntimeError(f"the face mesh found no face in the {name} portrait")
        meshes[name] = mesh
        _save_frames(root / clip_portrait(name), [faces[name]])
    n_samples = int(round(cfg.n_frames / cfg.fps * speech.SAMPLE_RATE))
    tracks, speech_how = {}, {}
    for k, (name, (samples, how)) in enumerate(zip(IDENTITIES, speech.speech_tracks(len(IDENTITIES), n_samples, cfg.seed))):
        speech.write_wav(root / "speech" / f"{name}.wav", samples)
        mouth = speech.mouth_opening(samples, cfg.fps, cfg.n_frames)
        tracks[name] = make_track(cfg.n_frames, cfg.fps, mouth, seed=cfg.seed * 1000 + k)
        speech_how[name] = how
    rigs = {name: build_rig(meshes[name], cfg.size, cfg.size) for name in IDENTITIES}
    for name in IDENTITIES:
        for track in dict.fromkeys((name, cross_driver(name))):
            frames, landmarks = render_motion(faces[name], rigs[name], tracks[track])
            _save_frames(root / clip_motion(name, track), frames)
            np.save(root / f"{clip_motion(name, track)}.npy", landmarks.astype(np.float32))
            (root / f"{clip_motion(name, track)}.json").write_text(
                json.dumps({"identity": name, "track": track, "params": [p.to_dict() for p in tracks[track]]}) + "\n",
                encoding="utf-8")
    cams = multiview.arc_cameras()
    for name in IDENTITIES:
        per_cam: dict[str, list] = {s: [] for s in cams}
        per_mask: dict[str, list] = {s: [] for s in cams}
        for mouth in cfg.mv_mouth:
            frames, masks = multiview.render_views(faces[name], meshes[name], cams, cfg.mv_size, mouth_open=mouth)
            for s, f, m in zip(cams, frames, masks):
                per_cam[s].append(f)
                per_mask[s].append(np.repeat(m[..., None], 3, axis=2))
        base = root / clip_multiview(name)
        for s in cams:
            _save_frames(base / s, per_cam[s])
            _save_frames(base / "masks" / s, per_mask[s])
        (base / "cameras.json").write_text(json.dumps(
            {s: {"cam2world": np.round(c.cam2world, 9).tolist(), "intrinsics": np.round(c.intrinsics, 9).tolist(),
                 "recipe": c.recipe} for s, c in cams.items()}, indent=1) + "\n", encoding="utf-8")
    return {"identities": list(IDENTITIES), "speech": speech_how, "cross_pairs": {n: cross_driver(n) for n in IDENTITIES},
            "serials": list(cams)}


def render_motion(portrait: np.ndarray, rig, track) -> tuple[list[np.ndarray], np.ndarray]:
    """Ground-truth frames of a portrait under a motion track, and the moved mesh points (T×478×2)."""
    image = to_tensor(portrait)
    frames, marks = [], []
    for start in range(0, len(track), WARP_BATCH):
        dst, depth = [], []
        for params in track[start:start + WARP_BATCH]:
            xy, z, ring = posed_points(rig, params)
            dst.append(rig.points(xy, ring))
            depth.append(rig.depths(z))
            marks.append(xy)
        frames += to_frames(warp(image, rig.neutral_points, np.stack(dst), np.stack(depth), rig.triangles))
    return frames, np.stack(marks)
