"""`real3d-portrait` as a TalkingHeadModel.

Implemented: building the network (random init or the released checkpoint), the cached canonical
plane, PNCC conditioning from a user-supplied 3DMM (or the tiny synthetic one), rendering for EG3D
cameras, the KNN background fill. Not yet implemented (raises NotAvailableYet): the offline
pre-processing of real inputs (mediapipe head/torso segmentation, 3DMM fit to the 478-point mesh,
lm68 torso keypoints) and the audio path; without them the source image is used unsegmented and the
driving expression is neutral, so numbers from this adapter are not the paper's.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import torch

from ...errors import NotAvailableYet
from ..base import Camera, ModelInfo, TalkingHeadModel
from ..components.cameras import EG3D_FOCAL, camera_to_label, lookat_cam2world, normalized_intrinsics
from ..components.morphable import MorphableModel, synthetic_morphable_model
from ..components.pncc import render_pncc
from .checkpoint import load_model_state
from .config import Real3DPortraitConfig
from .model import Real3DPortraitNetwork


def _to_tensor(frames: Sequence[np.ndarray], size: int) -> torch.Tensor:
    t = torch.as_tensor(np.stack(frames)).permute(0, 3, 1, 2).float() / 127.5 - 1
    if t.shape[-1] != size or t.shape[-2] != size:
        t = torch.nn.functional.interpolate(t, size=(size, size), mode="bilinear", align_corners=False, antialias=True)
    return t


@dataclass
class _State:
    source: torch.Tensor
    cano_planes: torch.Tensor
    pncc_cano: torch.Tensor


class Real3DPortrait(TalkingHeadModel):
    info = ModelInfo(
        name="real3d-portrait", kind="one-shot",
        description="Real3D-Portrait (ICLR 2024): I2P tri-plane + PNCC motion adapter + HTB-SR, released-code layout",
        paper="arXiv:2401.08503", config=Real3DPortraitConfig().to_dict())
    needs = ("cameras",)

    def __init__(self, checkpoint: str | None = None, sha256: str | None = None, device: str = "cpu",
                 image_size: int = 512, seed: int = 0, morphable: MorphableModel | None = None,
                 config: Real3DPortraitConfig | None = None):
        self.config = config or Real3DPortraitConfig()
        self.device = torch.device(device)
        self.image_size, self.seed = image_size, seed
        self.morphable = morphable or synthetic_morphable_model()
        torch.manual_seed(seed)
        self.network = Real3DPortraitNetwork(self.config)
        self.checkpoint = checkpoint
        if checkpoint is not None:
            self.network.load_state_dict(load_model_state(checkpoint, sha256), strict=True)
        self.network.eval().to(self.device)

    @classmethod
    def from_checkpoint(cls, path, sha256: str | None = None, **kwargs) -> "Real3DPortrait":
        return cls(checkpoint=str(path), sha256=sha256, **kwargs)

    def config_dict(self) -> dict[str, Any]:
        return {**self.config.to_dict(), "checkpoint": self.checkpoint, "image_size": self.image_size, "seed": self.seed}

    @torch.no_grad()
    def prepare(self, source: Sequence[np.ndarray]) -> _State:
        src = _to_tensor(source[:1], self.image_size).to(self.device)
        pncc = render_pncc(self.morphable, size=self.image_size).to(self.device)
        return _State(src, self.network.canonical_planes(src), pncc)

    @torch.no_grad()
    def animate(self, state: _State, driving=None, cameras: Sequence[Camera] | None = None, audio=None, gt=None):
        if audio is not None:
            raise NotAvailableYet("Real3D-Portrait audio-driven path (HuBERT + A2M VAE)", 8)
        if driving is not None and cameras is None:
            raise NotAvailableYet("Real3D-Portrait video driving (3DMM fit of driving frames)", 8)
        if not cameras:
            cameras = [Camera(lookat_cam2world(np.pi / 2, np.pi / 2), normalized_intrinsics(EG3D_FOCAL), "real3d")]
        planes = self.network.motion_planes(state.cano_planes, state.pncc_cano.repeat(1, 3, 1, 1))
        s = state.source
        seg = torch.zeros(1, 6, 64, 64, device=self.device)
        seg[:, 0] = 1  # no segmentation yet: everything is background
        kp = torch.zeros(1, 4, 3, device=self.device)
        gen = torch.Generator(device=self.device).manual_seed(self.seed)
        frames = []
        for cam in cameras:
            label = torch.as_tensor(camera_to_label(cam), dtype=torch.float32, device=self.device)[None]
            out = self.network.synthesize(planes, label, s, s, seg, kp, kp, generator=gen)
            img = ((out["image"][0].clamp(-1, 1) + 1) * 127.5).round().byte().permute(1, 2, 0).cpu().numpy()
            frames.append(img)
        return frames
