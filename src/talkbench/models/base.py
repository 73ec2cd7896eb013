"""The model contract every built-in model and baseline implements.

Frames are uint8 H×W×3 RGB numpy arrays at the model boundary (what a protocol item stores and
what a prediction file holds); models convert to tensors internally.
"""
from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import Any, ClassVar, Sequence

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
    """Models that reconstruct a 3D representation from a frame and render it from cameras."""

    needs = ("cameras",)

    @abc.abstractmethod
    def reconstruct(self, frame: np.ndarray, reference: np.ndarray | None = None) -> Any: ...

    @abc.abstractmethod
    def render(self, representation: Any, cameras: Sequence[Camera]) -> list[np.ndarray]: ...
