"""`lp3d` as a ReconstructionModel: each frame is lifted to a canonical tri-plane on its own and rendered
at the requested cameras (the per-frame baseline of seed 001).

Weights (`checkpoint`): a Real3D-Portrait checkpoint (its I2P, decoder and EG3D SR blocks; preset
`real3d`) or a talkbench LP3D container (its own config); without one, a seeded random initialisation
of `preset`, which the comparability notes call meaningless.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch

from ..base import Camera, ModelInfo, ReconstructionModel
from ..real3d_portrait.checkpoint import resolve_checkpoint
from .checkpoint import load_lp3d, save_lp3d
from .config import LP3DConfig, preset as named_preset
from ..components.frames import frames_to_tensor, tensor_to_frame
from .network import LP3DNetwork, camera_tensors


class LP3D(ReconstructionModel):
    info = ModelInfo(
        name="lp3d", kind="reconstruction",
        description="LP3D (SIGGRAPH 2023): one image -> canonical tri-plane (Real3D-Portrait's I2P network), EG3D decoder/renderer/SR",
        paper="arXiv:2305.02310", config=LP3DConfig().to_dict())

    def __init__(self, checkpoint: str | None = None, sha256: str | None = None, preset: str = "real3d",
                 device: str = "cpu", seed: int = 0, neural_rendering_resolution: int | None = None,
                 num_samples: int | None = None):
        """`neural_rendering_resolution` and `num_samples` (coarse = fine) override the configuration for quick
        CPU runs (no weight changes shape; the comparability notes then say so)."""
        self.device, self.seed, self.preset, self.checkpoint = torch.device(device), seed, preset, checkpoint
        self.provenance: dict = {}
        torch.manual_seed(seed)
        if checkpoint is not None:
            state, cfg, self.provenance = load_lp3d(checkpoint, sha256)
        else:
            state, cfg = None, named_preset(preset)
        self.base_config = cfg
        self.config = cfg.with_overrides(neural_rendering_resolution=neural_rendering_resolution,
                                         num_samples_coarse=num_samples, num_samples_fine=num_samples)
        self.network = LP3DNetwork(self.config)
        if state is not None:
            self.network.load_state_dict(state, strict=True)
        self.network.eval().to(self.device)

    @classmethod
    def from_checkpoint(cls, path, sha256: str | None = None, **kwargs) -> "LP3D":
        return cls(checkpoint=str(path), sha256=sha256, **kwargs)

    @staticmethod
    def resolve_checkpoint(path) -> Path:
        return resolve_checkpoint(path)

    @classmethod
    def write_random_checkpoint(cls, path, seed: int = 0, preset: str = "real3d") -> Path:
        torch.manual_seed(seed)
        cfg = named_preset(preset)
        return save_lp3d(LP3DNetwork(cfg).state_dict(), cfg, path, {"random_init": True, "seed": int(seed), "preset": preset})

    @classmethod
    def fit(cls, request):
        from .training import fit_lp3d

        return fit_lp3d(request)

    @classmethod
    def parameter_table(cls) -> list[dict]:
        from ..parameters import parameter_rows

        with torch.device("meta"):
            net = LP3DNetwork(named_preset("real3d"))
        return parameter_rows(net, "lp3d", depth=2)

    def comparability_notes(self) -> list[str]:
        notes = []
        if self.checkpoint is None:
            notes.append(f"lp3d: no checkpoint, random initialisation of preset '{self.preset}' (seed {self.seed}): numbers are meaningless")
        elif self.provenance.get("random_init"):
            notes.append(f"lp3d: checkpoint {Path(self.checkpoint).name} is a random initialisation written by talkbench: numbers are meaningless")
        if self.provenance.get("source_layout") == "real3d-portrait":
            notes.append("lp3d: weights are Real3D-Portrait's image-to-plane network, decoder and EG3D SR blocks "
                         "(an LP3D-style encoder with BatchNorm, trained by Real3D-Portrait), not NVIDIA's unreleased LP3D")
        elif self.provenance.get("trained_by") == "talkbench":
            notes.append(f"lp3d: weights trained by talkbench ({self.provenance.get('recipe', 'see docs/models.md')}), not the paper's")
        changed = [f"{k}={v}" for k, v in self.config.to_dict().items() if v != self.base_config.to_dict()[k]]
        if changed:
            notes.append("lp3d: settings differ from the checkpoint's configuration (" + ", ".join(changed) + ")")
        if not self.config.super_resolution:
            notes.append("lp3d: no super-resolution; raw RGB rendered at "
                         f"{self.config.neural_rendering_resolution}² and resized to the protocol resolution")
        return notes

    def config_dict(self) -> dict[str, Any]:
        return {**self.config.to_dict(), "checkpoint": self.checkpoint, "preset": self.preset, "seed": self.seed,
                "checkpoint_provenance": {k: v for k, v in self.provenance.items() if k != "config"}}

    @torch.no_grad()
    def lift(self, frames: Sequence[np.ndarray]) -> torch.Tensor:
        return self.network.lift(frames_to_tensor(frames, self.config.image_size).to(self.device))

    def reconstruct(self, frame: np.ndarray, reference: np.ndarray | None = None) -> dict:
        return {"planes": self.lift([frame]), "size": np.asarray(frame).shape[:2]}

    @torch.no_grad()
    def render(self, state: dict, cameras: Sequence[Camera]) -> list[np.ndarray]:
        return render_planes(self.network, state["planes"], cameras, state["size"], self.seed, self.device)


@torch.no_grad()
def render_planes(network: LP3DNetwork, planes: torch.Tensor, cameras: Sequence[Camera], size, seed: int,
                  device) -> list[np.ndarray]:
    """One uint8 frame of `size` per camera; sampling seeded by `seed` (the same for every call)."""
    c2w, ks = camera_tensors(cameras, network.config.camera_radius)
    gen = torch.Generator(device=device).manual_seed(seed)
    frames = []
    for i in range(len(cameras)):  # one camera at a time: 128² rays × 96 samples is already large
        out = network.render(planes, c2w[i:i + 1].to(device), ks[i:i + 1].to(device), generator=gen)
        frames.append(tensor_to_frame(out["image"][0], tuple(size)))
    return frames
