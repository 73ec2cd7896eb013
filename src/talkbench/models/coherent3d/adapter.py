"""`coherent3d` as a ReconstructionModel (seed 001): the reference image is lifted once to the canonical
tri-plane; every frame of a monocular video is lifted to a raw tri-plane, undistorted, fused with the canonical
plane by the recurrent fuser (its hidden state runs along the video), and rendered at any camera.

Weights: a talkbench Coherent3D checkpoint (`talkbench fit --model coherent3d`; no official weights exist),
or an untrained network on top of LP3D weights (`lp3d=`: a Real3D-Portrait or LP3D checkpoint).
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Iterator, Sequence

import numpy as np
import torch

from ..base import Camera, ModelInfo, ReconstructionModel
from ..lp3d.adapter import render_planes
from ..lp3d.checkpoint import load_lp3d
from ..components.frames import frames_to_tensor
from ..real3d_portrait.checkpoint import resolve_checkpoint
from .checkpoint import load_coherent3d, save_coherent3d
from .config import Coherent3DConfig, preset as named_preset
from .network import Coherent3DNetwork

FUSER_NOTE = ("the fuser is talkbench's smaller recurrent transformer stand-in (hidden features carried along the video, "
              "MiT self-attention, 5-layer ConvNet head), not RVRT; see docs/models.md")


class Coherent3D(ReconstructionModel):
    info = ModelInfo(
        name="coherent3d", kind="reconstruction",
        description="Coherent3D / triplane fusion (CVPR 2025): LP3D per frame + per-plane undistorter, visibility, recurrent fuser",
        paper="arXiv:2405.00794", config={**Coherent3DConfig().to_dict(), "fuser_note": FUSER_NOTE})
    uses_reference = True

    def __init__(self, checkpoint: str | None = None, sha256: str | None = None, preset: str = "paper",
                 lp3d: str | None = None, device: str = "cpu", seed: int = 0, recurrent: bool = True):
        """`recurrent=False` resets the fuser's hidden state at every frame (the no-memory ablation)."""
        self.device, self.seed, self.preset, self.checkpoint, self.recurrent = torch.device(device), seed, preset, checkpoint, recurrent
        self.lp3d_checkpoint, self.provenance, self.lp3d_provenance = lp3d, {}, {}
        torch.manual_seed(seed)
        state = None
        if checkpoint is not None and lp3d is not None:
            from ...errors import InputError

            raise InputError(None, "a Coherent3D checkpoint already holds its frozen LP3D", "pass either --checkpoint or lp3d=, not both")
        if checkpoint is not None:
            state, cfg, self.provenance = load_coherent3d(checkpoint, sha256)
        else:
            cfg = named_preset(preset)
            if lp3d is not None:
                lp3d_state, lp3d_cfg, self.lp3d_provenance = load_lp3d(lp3d)
                cfg = Coherent3DConfig.from_dict({**cfg.to_dict(), "lp3d": lp3d_cfg.to_dict()})
        self.config = cfg
        self.network = Coherent3DNetwork(cfg)
        if state is not None:
            self.network.load_state_dict(state, strict=True)
        elif lp3d is not None:
            self.network.lp3d.load_state_dict(lp3d_state, strict=True)
        self.network.eval().to(self.device)
        self._cano_cache: dict[str, torch.Tensor] = {}

    @classmethod
    def from_checkpoint(cls, path, sha256: str | None = None, **kwargs) -> "Coherent3D":
        return cls(checkpoint=str(path), sha256=sha256, **kwargs)

    @staticmethod
    def resolve_checkpoint(path) -> Path:
        return resolve_checkpoint(path)

    @classmethod
    def write_random_checkpoint(cls, path, seed: int = 0, preset: str = "paper") -> Path:
        torch.manual_seed(seed)
        cfg = named_preset(preset)
        return save_coherent3d(Coherent3DNetwork(cfg).state_dict(), cfg, path, {"random_init": True, "seed": int(seed), "preset": preset})

    @classmethod
    def fit(cls, request):
        from .training import fit_coherent3d

        return fit_coherent3d(request)

    @classmethod
    def parameter_table(cls) -> list[dict]:
        from ..parameters import parameter_rows

        with torch.device("meta"):
            net = Coherent3DNetwork(named_preset("paper"))
        return parameter_rows(net, "coherent3d", depth=2)

    def comparability_notes(self) -> list[str]:
        notes = ["coherent3d: " + FUSER_NOTE]
        if self.checkpoint is None:
            notes.append(f"coherent3d: no checkpoint, untrained undistorter/visibility/fuser (seed {self.seed}): numbers are meaningless")
        elif self.provenance.get("random_init"):
            notes.append(f"coherent3d: checkpoint {Path(self.checkpoint).name} is a random initialisation: numbers are meaningless")
        else:
            notes.append("coherent3d: trained by talkbench on multiview data (" + str(self.provenance.get("recipe", "see docs/models.md"))
                         + "), not on the paper's Next3D synthetic videos")
        if self.provenance.get("teacher_random_init") or self.lp3d_provenance.get("random_init"):
            notes.append("coherent3d: its frozen LP3D (lifter, decoder, teacher) is a random initialisation")
        if not self.config.lp3d.super_resolution:
            notes.append(f"coherent3d: no super-resolution; raw RGB at {self.config.lp3d.neural_rendering_resolution}² resized")
        return notes

    def config_dict(self) -> dict[str, Any]:
        return {**self.config.to_dict(), "checkpoint": self.checkpoint, "lp3d_checkpoint": self.lp3d_checkpoint,
                "preset": self.preset, "seed": self.seed, "recurrent": self.recurrent, "fuser_note": FUSER_NOTE,
                "checkpoint_provenance": {k: v for k, v in self.provenance.items() if k != "config"}}

    @torch.no_grad()
    def _lift(self, frame: np.ndarray) -> torch.Tensor:
        return self.network.lp3d.lift(frames_to_tensor([frame], self.config.lp3d.image_size).to(self.device))

    def canonical(self, reference: np.ndarray) -> torch.Tensor:
        """The canonical tri-plane of a reference image (computed once per image)."""
        ref = np.ascontiguousarray(reference)
        key = hashlib.sha1(ref.tobytes() + repr(ref.shape).encode()).hexdigest()
        if key not in self._cano_cache:
            self._cano_cache = {key: self._lift(ref)}  # one reference at a time is enough for a video
        return self._cano_cache[key]

    def reconstruct(self, frame: np.ndarray, reference: np.ndarray | None = None) -> dict:
        return next(self.reconstruct_video([frame], reference))

    @torch.no_grad()
    def reconstruct_video(self, frames: Sequence[np.ndarray], reference: np.ndarray | None = None) -> Iterator[dict]:
        """Without a reference image the first frame of the video is the reference (the paper's fallback: a
        frame of the same video)."""
        frames = list(frames)
        cano = self.canonical(frames[0] if reference is None else reference)
        hidden = None
        for frame in frames:
            out = self.network(self._lift(frame), cano, hidden if self.recurrent else None)
            hidden = out["hidden"]
            yield {"planes": out["fused"], "size": np.asarray(frame).shape[:2]}

    @torch.no_grad()
    def render(self, state: dict, cameras: Sequence[Camera]) -> list[np.ndarray]:
        return render_planes(self.network.lp3d, state["planes"], cameras, state["size"], self.seed, self.device)
