"""Known motion for the mini benchmark: smooth head pose and mouth/eye expression, applied to a mesh.

A MotionTrack is a sequence of per-frame parameters (head rotation, translation, scale, mouth
opening, blink), seeded and smooth. Applying it to a portrait's neutral mesh gives, frame by frame,
the moved mesh and ring points that meshwarp turns into the ground-truth frames. Sizes are relative
to the face (its height, from forehead top to chin), so one track animates any identity alike.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from ...baselines.facemesh import CHIN, EYES, FOREHEAD_TOP, IRISES, LIPS_INNER_LOWER, LIPS_INNER_UPPER, LOWER_LIP_INNER_MID, UPPER_LIP_INNER_MID
from ...geometry import rotation_from_euler
from ...baselines.meshwarp import WarpRig

#: amplitudes of the smooth head motion
YAW_DEG, PITCH_DEG, ROLL_DEG = 10.0, 6.0, 5.0
SHIFT_FRACTION, SCALE_SPAN = 0.05, 0.05  # of the face height; relative scale change
JAW_DROP = 0.10  # of the face height, at mouth_open = 1
UPPER_LIP_LIFT = 0.15  # of the jaw drop
BLINK_CLOSURE = 0.85  # share of the lid gap closed at blink = 1


@dataclass(frozen=True)
class FrameParams:
    yaw: float  # degrees
    pitch: float
    roll: float
    shift_x: float  # of the face height
    shift_y: float
    scale: float  # relative, 1 = unchanged
    mouth_open: float  # 0..1
    blink: float  # 0..1

    def to_dict(self) -> dict[str, float]:
        return {k: round(float(v), 6) for k, v in asdict(self).items()}


def _smooth(rng: np.random.Generator, t: np.ndarray, amplitude: float) -> np.ndarray:
    """Two sinusoids of random phase and frequency, starting at 0 at t = 0."""
    out = np.zeros_like(t)
    for weight in (0.7, 0.3):
        freq = rng.uniform(0.25, 0.7)  # cycles per second
        phase = rng.uniform(0, 2 * np.pi)
        out += weight * (np.sin(2 * np.pi * freq * t + phase) - np.sin(phase))
    return amplitude * out


def make_track(n_frames: int, fps: float, mouth: np.ndarray, seed: int) -> list[FrameParams]:
    """Per-frame parameters: seeded smooth head motion, the given mouth opening, one blink."""
    rng = np.random.default_rng(seed)
    t = np.arange(1, n_frames + 1) / fps  # frame 0 of the motion is the neutral portrait itself
    yaw, pitch, roll = (_smooth(rng, t, a) for a in (YAW_DEG, PITCH_DEG, ROLL_DEG))
    sx, sy = (_smooth(rng, t, SHIFT_FRACTION) for _ in range(2))
    scale = 1.0 + _smooth(rng, t, SCALE_SPAN)
    blink = np.zeros(n_frames)
    centre = rng.uniform(0.3, 0.8) * n_frames
    half = max(2.0, 0.12 * fps)
    blink = np.clip(1.0 - np.abs(np.arange(n_frames) - centre) / half, 0.0, 1.0)
    mouth = np.clip(np.asarray(mouth, dtype=np.float64), 0.0, 1.0)
    if mouth.shape != (n_frames,):
        raise ValueError(f"mouth opening needs {n_frames} values, got {mouth.shape}")
    return [FrameParams(*map(float, v)) for v in zip(yaw, pitch, roll, sx, sy, scale, mouth, blink)]


@dataclass(frozen=True)
class FaceFrame:
    """Face-aligned axes of a neutral mesh: eye-line direction, downward direction, face height."""

    across: np.ndarray
    down: np.ndarray
    height: float
    mouth: np.ndarray

    @classmethod
    def of(cls, mesh: np.ndarray) -> "FaceFrame":
        xy = mesh[:, :2]
        eye_l = xy[list(EYES[0]["upper"] + EYES[0]["lower"])].mean(0)
        eye_r = xy[list(EYES[1]["upper"] + EYES[1]["lower"])].mean(0)
        across = (eye_r - eye_l) / np.linalg.norm(eye_r - eye_l)
        down = np.array([-across[1], across[0]])
        height = float(abs((xy[CHIN] - xy[FOREHEAD_TOP]) @ down))
        mouth = (xy[UPPER_LIP_INNER_MID] + xy[LOWER_LIP_INNER_MID]) / 2
        return cls(across, down, height, mouth)


def expression_offsets(mesh: np.ndarray, mouth_open: float, blink: float) -> np.ndarray:
    """2D displacements (478×2, pixels) of the neutral mesh for a mouth opening and a blink."""
    xy = np.asarray(mesh, dtype=np.float64)[:, :2]
    ff = FaceFrame.of(mesh)
    rel = xy - ff.mouth
    along, below = rel @ ff.across, rel @ ff.down
    h = ff.height
    out = np.zeros_like(xy)
    # jaw: everything under the mouth line drops, fading in over the lower lip and out to the sides
    drop = JAW_DROP * h * mouth_open
    w_jaw = np.clip(below / (0.06 * h), 0.0, 1.0) * np.exp(-(along / (0.42 * h)) ** 4)
    corners = {LIPS_INNER_UPPER[0], LIPS_INNER_UPPER[-1]}
    lower = [i for i in LIPS_INNER_LOWER if i not in corners]
    upper = [i for i in LIPS_INNER_UPPER if i not in corners]
    w_jaw[lower] = np.exp(-(along[lower] / (0.42 * h)) ** 4) * 0.85
    w_jaw[upper] = 0.0
    out += (drop * w_jaw)[:, None] * ff.down
    # upper lip lifts a little
    w_up = np.clip(1.0 + below / (0.05 * h), 0.0, 1.0) * (below <= 0) * np.exp(-(along / (0.3 * h)) ** 2)
    w_up[upper] = 1.0
    out -= (UPPER_LIP_LIFT * drop * w_up)[:, None] * ff.down
    # blink: upper lids move towards the lower lids; the skin above and the iris follow partly
    for eye, iris in zip(EYES, IRISES):
        up, lo = list(eye["upper"]), list(eye["lower"])
        gaps = xy[lo] - xy[up]
        out[up] += BLINK_CLOSURE * blink * gaps
        mean_gap = gaps.mean(0)
        lid_centre = xy[up].mean(0)
        width = float(np.linalg.norm(xy[eye["corners"][0]] - xy[eye["corners"][1]]))
        d = np.linalg.norm(xy - lid_centre, axis=1)
        above = ((xy - lid_centre) @ ff.down) < 0
        fall = np.exp(-(d / (0.6 * width)) ** 2) * above
        fall[up + lo] = 0.0
        fall[list(iris)] = 0.0
        out += (0.35 * BLINK_CLOSURE * blink * fall)[:, None] * mean_gap
        out[list(iris)] += 0.4 * BLINK_CLOSURE * blink * mean_gap
    return out


def posed_points(rig: WarpRig, params: FrameParams) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mesh xy 478×2, mesh depth 478, ring xy R×2) of the rig's portrait under one frame's parameters."""
    mesh = rig.mesh.copy()
    mesh[:, :2] += expression_offsets(rig.mesh, params.mouth_open, params.blink)
    ff = FaceFrame.of(rig.mesh)
    width = float(np.ptp(rig.mesh[:, 0]))
    centre = rig.centre
    pivot = np.array([centre[0], centre[1], float(rig.mesh[:, 2].mean()) + 0.6 * width])
    rot = rotation_from_euler(math.radians(params.pitch), math.radians(params.yaw), math.radians(params.roll))
    ring3 = np.concatenate([rig.ring, np.full((len(rig.ring), 1), float(rig.mesh[:, 2].mean()))], 1)
    moved = (np.concatenate([mesh, ring3]) - pivot) @ rot.T + pivot
    shift = np.array([params.shift_x, params.shift_y]) * ff.height
    moved[:, :2] = (moved[:, :2] - centre) * params.scale + centre + shift
    n = len(mesh)
    return moved[:n, :2], moved[:n, 2], moved[n:, :2]
