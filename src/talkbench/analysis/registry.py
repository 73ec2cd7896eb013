"""The analyser registry: name ``kind[:backbone][@input]`` -> analyser, through a table (a talkbench.lazy
Registry, like every other name table) of factories.

  faces:<detector>                  face boxes (+ five points), largest first          (frame)
  landmarks:<landmarker>[@<det>]    68×2 / 478×3 points of the largest face            (frame)
  pose:mediapipe-mesh               pitch/yaw/roll from a rigid fit of the mesh         (frame)
  identity:<backbone>[@<det>]       identity embedding of the largest face              (frame)
  deep3d[@<points source>]          Deep3DFaceRecon 257 coefficients                    (frame)
  mouth[@<det>]                     mouth opening from the 478-point mesh               (frame)
  inception                         Inception-v3 (pytorch-fid) pool3 features           (frame)
  lpips:<net>                       LPIPS v0.1 distance of a (frame, reference) pair    (pair)
  syncnet                           SyncNet window embeddings of a clip (options)       (clip)
  mouth-audio[@<det>]               mouth opening and audio energy per 25 fps frame     (clip)
  flow-residual                     DIS-flow-compensated |difference| of (next, previous) (pair)
  i3d                               I3D Kinetics-400 features of 16-frame windows       (clip)

Factories import their analyser module only when called, so naming an analysis loads nothing.
"""
from __future__ import annotations

import importlib
from typing import Any, Callable

from ..errors import UnknownNameError
from ..lazy import Registry


def _lazy(target: str) -> Callable[..., Any]:
    module, _, attr = target.partition(":")

    def build(*args: Any, **kwargs: Any) -> Any:
        return getattr(importlib.import_module(f"{__package__}.{module}"), attr)(*args, **kwargs)

    return build


def _identity(backbone: str, detector: str | None, **options: Any):
    """dlib's descriptor aligns its own chip; every other identity backbone runs on the ArcFace crop."""
    if backbone == "dlib-resnet":
        return _lazy("face_analysers:DlibIdentityAnalyser")(detector)
    return _with_backbone("face_analysers:AlignedIdentityAnalyser")(backbone, detector)


def _only(target: str, backbone_name: str):
    """A factory for a kind with exactly one backbone."""
    def build(backbone: str, inp: str | None, **options: Any):
        if backbone != backbone_name:
            _unknown(f"{target}:{backbone}")
        return _lazy(target)()

    return build


def _no_backbone(target: str, default_input: str | None = None):
    """A factory for kinds named without a backbone (``kind[@input]``)."""
    def build(backbone: str, inp: str | None, **options: Any):
        if backbone:
            raise UnknownNameError(f"analysis kind '{target}' takes no backbone, got '{backbone}'")
        args = () if inp is None and default_input is None else (inp or default_input,)
        return _lazy(target)(*args, **options)

    return build


def _with_backbone(target: str, takes_input: bool = True):
    def build(backbone: str, inp: str | None, **options: Any):
        if not backbone:
            raise UnknownNameError(f"analysis kind '{target}' needs a backbone (kind:backbone)")
        return _lazy(target)(backbone, inp, **options) if takes_input else _lazy(target)(backbone, **options)

    return build


#: kind -> factory(backbone, input, **options)
ANALYSERS: Registry[Callable[..., Any]] = Registry("analysis kind", {
    "faces": _with_backbone("face_analysers:DetectionAnalyser", takes_input=False),
    "landmarks": _with_backbone("face_analysers:LandmarkAnalyser"),
    "pose": _only("face_analysers:MeshPoseAnalyser", "mediapipe-mesh"),
    "identity": _identity,
    "deep3d": _no_backbone("face_analysers:Deep3DAnalyser", "fan-68"),
    "mouth": _no_backbone("mouth:MouthOpeningAnalyser", "mediapipe"),
    "inception": _no_backbone("image_features:InceptionAnalyser"),
    "lpips": _with_backbone("image_features:LPIPSAnalyser", takes_input=False),
    "syncnet": _no_backbone("syncnet_windows:SyncNetWindowsAnalyser"),
    "mouth-audio": _no_backbone("mouth:MouthAudioAnalyser", "mediapipe"),
    "flow-residual": _no_backbone("motion:FlowResidualAnalyser"),
    "i3d": _no_backbone("video_features:I3DAnalyser"),
})


def _unknown(name: str):
    raise UnknownNameError(f"unknown analysis '{name}' (kinds: {', '.join(sorted(ANALYSERS))})")


def parse_name(name: str) -> tuple[str, str, str | None]:
    """(kind, backbone, input) of ``kind[:backbone][@input]``."""
    head, _, inp = name.partition("@")
    kind, _, backbone = head.partition(":")
    return kind, backbone, inp or None


def make_analyser(name: str, **options: Any):
    kind, backbone, inp = parse_name(name)
    return ANALYSERS.create(kind, backbone, inp, **options)  # UnknownNameError (did you mean) for a kind


def list_analysers() -> list[str]:
    return ANALYSERS.names()
