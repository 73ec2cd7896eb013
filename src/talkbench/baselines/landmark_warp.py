"""landmark-warp: a training-free 2D reenactment baseline driven by the offline face mesh.

For each driving frame it finds the 478-point mesh (mediapipe, from the wheel), splits the motion
relative to the first driving frame into a head part (a least-squares similarity fitted on rigid
points: nose, eye corners, forehead, temples) and an expression part (what is left, in the first
frame's pose), carries both over to the source face (the head motion conjugated into the source's
frame, the expression scaled and turned by the driving-to-source similarity), and warps the source
piecewise-affinely over its mesh with talkbench.baselines.meshwarp (a ring around the head follows
the head motion, the image border stays). No learned weights beyond the landmark detector.

A driving frame where no face is found reuses the last found mesh (the first frame with a face
stands in before that); `last_run` reports how many frames that happened to.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from ..errors import InputError
from ..models.base import ModelInfo, TalkingHeadModel
from .facemesh import RIGID, detect_mesh
from ..geometry import Similarity2D
from .meshwarp import WarpRig, build_rig, to_frames, to_tensor, warp

BATCH = 12


@dataclass
class WarpState:
    image: Any  # 1×3×H×W tensor
    rig: WarpRig


@dataclass
class LandmarkWarpConfig:
    expression_scale: float = 1.0  # multiplies the transferred expression offsets
    rigid_points: tuple[int, ...] = RIGID


class LandmarkWarp(TalkingHeadModel):
    info = ModelInfo("landmark-warp", "baseline",
                     "2D reenactment: similarity head motion + piecewise-affine mesh warp of the source (offline face mesh)",
                     config={"expression_scale": 1.0, "landmarks": "mediapipe 478-point mesh", "rigid_points": list(RIGID)})
    needs = ("driving",)

    def __init__(self, expression_scale: float = 1.0):
        self.config = LandmarkWarpConfig(expression_scale=float(expression_scale))
        self.last_run: dict[str, int] = {}

    def config_dict(self) -> dict[str, Any]:
        return {**self.info.config, "expression_scale": self.config.expression_scale}

    def prepare(self, source: Sequence[np.ndarray]) -> WarpState:
        if source is None or len(source) == 0:
            raise InputError(None, "landmark-warp got no source image", "the protocol item needs a 'source' reference")
        image = np.ascontiguousarray(source[0])
        mesh = detect_mesh(image)
        if mesh is None:
            raise InputError(None, "landmark-warp found no face in the source image", "use a source image with a visible face")
        return WarpState(to_tensor(image), build_rig(mesh, image.shape[0], image.shape[1]))

    def animate(self, state: WarpState, driving=None, cameras=None, audio: Any = None, gt=None) -> list[np.ndarray]:
        if driving is None or len(driving) == 0:
            raise InputError(None, "landmark-warp needs driving frames, and this item has none",
                             "run it on a protocol with driving frames (mini-same-id, mini-cross-id)")
        meshes = [detect_mesh(f) for f in driving]
        found = [m for m in meshes if m is not None]
        if not found:
            raise InputError(None, "landmark-warp found no face in any driving frame", "check the driving clip")
        last = found[0]
        filled = []
        for m in meshes:
            last = m if m is not None else last
            filled.append(last)
        self.last_run = {"frames": len(meshes), "frames_without_face": len(meshes) - len(found)}
        rig = state.rig
        targets = [self.target_points(rig, filled[0], m) for m in filled]
        out: list[np.ndarray] = []
        for start in range(0, len(targets), BATCH):
            chunk = targets[start:start + BATCH]
            dst = np.stack([rig.points(xy, ring) for xy, _, ring in chunk])
            depth = np.stack([rig.depths(z) for _, z, _ in chunk])
            out += to_frames(warp(state.image, rig.neutral_points, dst, depth, rig.triangles))
        return out

    def target_points(self, rig: WarpRig, ref: np.ndarray, cur: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(mesh xy, mesh depth, ring xy) of the source for driving mesh ``cur`` relative to ``ref``."""
        rigid = list(self.config.rigid_points)
        src = rig.mesh
        head = Similarity2D.fit(ref[rigid, :2], cur[rigid, :2])  # driving: reference pose -> current pose
        expression = head.inverse()(cur[:, :2]) - ref[:, :2]  # what the rigid motion does not explain
        to_src = Similarity2D.fit(ref[rigid, :2], src[rigid, :2])
        head_src = to_src.inverse().then(head).then(to_src)  # the same head motion, about the source face
        moved = head_src(src[:, :2] + self.config.expression_scale * to_src.linear(expression))
        depth = src[:, 2] + to_src.scale * (cur[:, 2] - ref[:, 2])
        return moved, depth, head_src(rig.ring)
