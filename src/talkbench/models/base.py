"""The model contract every built-in model and baseline implements.

Frames are uint8 H×W×3 RGB numpy arrays at the model boundary (what a protocol item stores and
what a prediction file holds); models convert to tensors internally.
"""
from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import Any, ClassVar, Iterator, Sequence

import numpy as np


@dataclass
class Camera:
    """OpenCV cam2world 4×4 and intrinsics normalised by image size (fx/W, fy/H, cx/W, cy/H)."""

    cam2world: np.ndarray
    intrinsics: np.ndarray  # 3×3, normalised
    recipe: str = "opencv"  # eg3d-ffhq | goha | real3d | otavatar | opencv: converters need it


@dataclass
class ModelInfo:
    name: str
    kind: str  # "baseline" | "one-shot" | "reconstruction" | "audio-driven"
    description: str
    paper: str = ""
    config: dict[str, Any] = field(default_factory=dict)


class TalkingHeadModel(abc.ABC):
    """prepare(source) -> state; animate(state, driving, cameras) -> frames."""

    info: ClassVar[ModelInfo]
    #: what animate() needs from a protocol item: "driving" frames, "audio", "cameras", "gt"
    needs: ClassVar[tuple[str, ...]] = ("driving",)

    @abc.abstractmethod
    def prepare(self, source: Sequence[np.ndarray]) -> Any:
        """Encode the source image(s) once per identity."""

    @abc.abstractmethod
    def animate(self, state: Any, driving: Sequence[np.ndarray] | None = None, cameras: Sequence[Camera] | None = None,
                audio: Any = None, gt: Sequence[np.ndarray] | None = None) -> list[np.ndarray]:
        """One output frame per driving frame / camera / audio window."""

    def config_dict(self) -> dict[str, Any]:
        return dict(self.info.config)

    @classmethod
    def parameter_table(cls) -> list[dict]:
        """Rows {module, parameters} of the model's networks (empty for models without weights)."""
        return []

    def comparability_notes(self) -> list[str]:
        """Reasons this instance's numbers are not comparable to published ones (random weights,
        substituted pre-processing, non-released settings); the runner copies them into the summary."""
        return []


class ReconstructionModel(TalkingHeadModel):
    """Models that reconstruct a 3D representation from one frame (plus an optional reference image of the
    same person) and render it from any camera: `reconstruct(frame, reference)` -> state,
    `render(state, cameras)` -> one frame per camera.

    A monocular video goes through `reconstruct_video(frames, reference)`, which yields one state per frame
    in order; models with temporal memory (Coherent3D's recurrent fuser) override it, the default
    reconstructs every frame on its own. On N×N protocols the runner calls it once per input camera and
    renders every state at all N cameras. `prepare`/`animate` are derived from the two, so a reconstruction
    model also runs on single-image protocols (nvs: the first source view is the frame).
    """

    needs = ("cameras",)
    #: whether reconstruct() uses a reference image (the runner then passes the item's near-frontal frame)
    uses_reference: ClassVar[bool] = False

    @abc.abstractmethod
    def reconstruct(self, frame: np.ndarray, reference: np.ndarray | None = None) -> Any:
        """One H×W×3 uint8 frame (and the reference image) -> the model's 3D state of that frame."""

    @abc.abstractmethod
    def render(self, state: Any, cameras: Sequence[Camera]) -> list[np.ndarray]:
        """One H×W×3 uint8 frame per camera."""

    def reconstruct_video(self, frames: Sequence[np.ndarray], reference: np.ndarray | None = None) -> Iterator[Any]:
        """States of the frames of one monocular video, in order (default: each frame independently)."""
        for frame in frames:
            yield self.reconstruct(frame, reference)

    def prepare(self, source: Sequence[np.ndarray]) -> Any:
        if source is None or len(source) == 0:
            from ..errors import InputError

            raise InputError(None, f"{self.info.name} got no source image", "the protocol item needs a 'source' reference")
        return self.reconstruct(np.ascontiguousarray(source[0]))

    def animate(self, state: Any, driving=None, cameras: Sequence[Camera] | None = None, audio: Any = None,
                gt=None) -> list[np.ndarray]:
        if cameras is None:
            from ..errors import InputError

            raise InputError(None, f"{self.info.name} renders cameras, and this item gives none", "run it on a multiview protocol")
        return self.render(state, cameras)
