"""The training-free reference systems that need no geometry: lower and upper bounds.

- source-copy: every output frame is the source image (what a method that does nothing scores);
- gt-oracle: every output frame is the ground truth (the ceiling, and a check of the metrics:
  PSNR is +inf, keypoint distances are 0, identity similarity is the GT's self-similarity);
- input-view: for multiview protocols, every camera's render is the input view itself (what a
  method with no 3D scores; its N×N matrix is perfect on the diagonal only).
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..errors import InputError
from ..models.base import Camera, ModelInfo, ReconstructionModel, TalkingHeadModel


def _first_image(source: Sequence[np.ndarray], model: str) -> np.ndarray:
    if source is None or len(source) == 0:
        raise InputError(None, f"{model} got no source image", "the protocol item needs a 'source' reference")
    return np.ascontiguousarray(source[0])


def _n_outputs(driving, cameras, gt, audio) -> int:
    """How many frames the item asks for: one per driving frame, camera or GT frame (in that order)."""
    for seq in (driving, cameras, gt):
        if seq is not None:
            return len(seq)
    n = getattr(audio, "n_frames", None)
    if n is not None:
        return int(n)
    raise InputError(None, "the item gives neither driving frames, cameras, ground truth nor a frame count",
                     "run this baseline on a protocol with driving frames, cameras or ground truth")


class SourceCopy(TalkingHeadModel):
    info = ModelInfo("source-copy", "baseline", "returns the source image for every frame (the lower bound)")
    #: the ground truth is used only for its frame count, on items with neither driving frames nor cameras (audio)
    needs = ("gt",)

    def prepare(self, source: Sequence[np.ndarray]) -> np.ndarray:
        return _first_image(source, self.info.name)

    def animate(self, state: np.ndarray, driving=None, cameras: Sequence[Camera] | None = None, audio: Any = None,
                gt=None) -> list[np.ndarray]:
        return [state] * _n_outputs(driving, cameras, gt, audio)


class GTOracle(TalkingHeadModel):
    info = ModelInfo("gt-oracle", "baseline", "returns the ground truth where the protocol has it (the upper bound)")
    needs = ("gt",)

    def prepare(self, source: Sequence[np.ndarray]) -> None:
        return None

    def animate(self, state: Any, driving=None, cameras=None, audio: Any = None, gt=None) -> list[np.ndarray]:
        if gt is None:
            raise InputError(None, "gt-oracle needs the item's ground truth, and this item has none",
                             "run it on protocols with targets (e.g. mini-same-id, mini-cross-id, mini-nxn)")
        return [np.ascontiguousarray(g) for g in gt]


class InputView(ReconstructionModel):
    """The reconstruction is the frame itself; every camera's render is that frame."""

    info = ModelInfo("input-view", "baseline", "renders every novel view as the input image (multiview, no 3D)")

    def reconstruct(self, frame: np.ndarray, reference: np.ndarray | None = None) -> np.ndarray:
        return np.ascontiguousarray(frame)

    def render(self, state: np.ndarray, cameras: Sequence[Camera]) -> list[np.ndarray]:
        return [state] * len(cameras)
