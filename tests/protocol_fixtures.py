"""Tiny fake datasets in each official layout, and a tiny test model, for the protocol tests."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

import numpy as np

from talkbench.io.video import write_video
from talkbench.models.base import ModelInfo, TalkingHeadModel
from talkbench.protocols.datasets.nersemble import SERIALS
from talkbench.protocols.spec import load_protocol

REPO = Path(__file__).resolve().parents[1]
#: the 19 HDTF test clips, in the published order, as the shipped hdtf-same-id manifest lists them
HDTF_TEST_CLIPS = tuple(item["id"] for item in load_protocol("hdtf-same-id").items)


def maintenance_script(name: str):
    """A module of scripts/protocols/ (the generators of the shipped protocol files), imported by path."""
    import importlib.util

    path = REPO / "scripts" / "protocols" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"talkbench_scripts_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def clip_frames(seed: int, n: int, size: int = 32) -> list[np.ndarray]:
    """Smooth coloured frames (compress well, differ per clip and frame)."""
    rng = np.random.default_rng(seed)
    base = rng.integers(40, 200, size=3)
    yy, xx = np.mgrid[0:size, 0:size]
    out = []
    for t in range(n):
        img = np.empty((size, size, 3), dtype=np.float64)
        for c in range(3):
            img[..., c] = base[c] + 40 * np.sin((xx + 3 * t + 7 * c) / 6.0) * np.cos((yy - 2 * t) / 5.0)
        out.append(np.clip(img, 0, 255).astype(np.uint8))
    return out


def make_hdtf(root: Path, n_frames: int = 4, size: int = 32, clips: Sequence[str] = HDTF_TEST_CLIPS) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for k, clip in enumerate(clips):
        write_video(root / f"{clip}.mp4", clip_frames(k, n_frames, size), fps=25, crf=0)
    return root


def make_nersemble_v1(root: Path, pid: str = "018", seq: str = "EMO-1-shout+laugh", n_frames: int = 3, size: int = 16,
                      serials: Sequence[str] = SERIALS) -> Path:
    from PIL import Image

    part = root / pid
    part.mkdir(parents=True, exist_ok=True)
    w2c = {s: np.eye(4).tolist() for s in serials}
    for k, s in enumerate(serials):
        w2c[s][0][3] = float(k)
    (part / "camera_params.json").write_text(json.dumps({"world_2_cam": w2c, "intrinsics": [[2000, 0, 1100], [0, 2000, 1604], [0, 0, 1]]}))
    for k, s in enumerate(serials):
        frames = clip_frames(100 + k, n_frames, size)
        for t, arr in enumerate(frames):
            d = part / "sequences" / seq / f"frame_{t:05d}"
            (d / "images-2x-73fps").mkdir(parents=True, exist_ok=True)
            (d / "alpha_map-73fps").mkdir(parents=True, exist_ok=True)
            Image.fromarray(arr).save(d / "images-2x-73fps" / f"cam_{s}.png")
            alpha = np.zeros((size, size), dtype=np.uint8)
            alpha[size // 4: 3 * size // 4, size // 4: 3 * size // 4] = 255
            Image.fromarray(alpha).save(d / "alpha_map-73fps" / f"cam_{s}.png")
        cc = part / "annotations" / seq / "color_correction"
        cc.mkdir(parents=True, exist_ok=True)
        A = np.zeros((3, 4))
        A[:3, :3] = np.eye(3) * 0.9
        A[:3, 3] = 0.05
        np.save(cc / f"{s}.npy", A)
    return root


class BlendModel(TalkingHeadModel):
    """Output = 0.75 · driving + 0.25 · source; with cameras only: 0.75 · first source view + 0.25 · 128, per camera."""

    info = ModelInfo("test-blend", "baseline", "test-only: blends source into driving frames")
    needs = ("driving",)

    def prepare(self, source):
        return np.asarray(source[0], dtype=np.float64)

    def animate(self, state, driving=None, cameras=None, audio=None, gt=None):
        if driving is not None:
            return [np.round(0.75 * d.astype(np.float64) + 0.25 * state).astype(np.uint8) for d in driving]
        n = len(cameras) if cameras is not None else len(gt)
        return [np.round(0.75 * state + 32.0).astype(np.uint8) for _ in range(n)]


def write_protocol(folder: Path, pid: str, items: list[dict], **spec_fields) -> Path:
    """A test protocol spec + manifest in `folder` (put it on TALKBENCH_PROTOCOL_PATH)."""
    from talkbench.protocols.writer import write_protocol as write

    spec = {"id": pid, "version": "1.0", "title": pid, "dataset": "custom", "dataset_version": "test", "task": "reenactment",
            "list_status": "synthetic", "description": "test protocol", "references": [], "metrics": ["psnr"],
            "defaults": {"fps": None, "resolution": None, "background": "full"}, "comparable": True}
    spec.update(spec_fields)
    return write(folder, spec, items)[0]


def save_frames(folder: Path, frames) -> None:
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    for k, arr in enumerate(frames):
        Image.fromarray(arr).save(folder / f"{k:05d}.png")


def write_predictions(out: Path, protocol: str, data: dict, model) -> Path:
    """Run `model` through the protocol's input builders and save one PNG folder per item (lossless)."""
    from talkbench.protocols.datasets import open_dataset
    from talkbench.protocols.inputs import TASKS
    from talkbench.protocols.spec import load_protocol

    proto = load_protocol(protocol)
    adapters = {name: open_dataset(name, root) for name, root in data.items()}
    for item in proto.items:
        save_frames(out / item["id"], TASKS[proto.task](item, adapters, proto.dataset).generate(model))
    return out
