"""`real3d-portrait` as a TalkingHeadModel.

Implemented: building the network (random init or the released checkpoint), the cached canonical
plane, rendering for EG3D cameras, the KNN background fill, and two input paths:
* `real_inputs=True` (default): offline pre-processing of real frames with mediapipe (head/body split
  of the binary selfie mask, mesh-NCC motion signal from the 478-point face mesh; see real_inputs.py).
  This SUBSTITUTES the official 6-class segmenter and 3DMM fit, so numbers are not the paper's.
* `real_inputs=False`: no pre-processing; the source is used unsegmented and the PNCC comes from the
  supplied (or tiny synthetic) 3DMM at neutral expression.
Not yet implemented (raises NotAvailableYet): the audio path end to end (the A2M VAE exists in
audio2motion.py; HuBERT features and exp -> PNCC through a real 3DMM are missing) and video driving
when `real_inputs=False`.
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
from ..components.inpaint import knn_fill_background
from .model import Real3DPortraitNetwork
from .real_inputs import SUBSTITUTION_NOTE, HeadSegmenter, MeshNCC, MeshObserver


def _to_tensor(frames: Sequence[np.ndarray], size: int) -> torch.Tensor:
    t = torch.as_tensor(np.stack(frames)).permute(0, 3, 1, 2).float() / 127.5 - 1
    if t.shape[-1] != size or t.shape[-2] != size:
        t = torch.nn.functional.interpolate(t, size=(size, size), mode="bilinear", align_corners=False, antialias=True)
    return t


@dataclass
class _State:
    source: torch.Tensor            # (1, 3, S, S) in [-1, 1], unsegmented
    cano_planes: torch.Tensor
    pncc_cano: torch.Tensor         # (1, 3, S, S)
    pncc_src: torch.Tensor | None = None
    ref_torso: torch.Tensor | None = None
    ref_bg: torch.Tensor | None = None
    segmap: torch.Tensor | None = None   # (1, 6, 64, 64) one-hot
    ncc: MeshNCC | None = None


def _resize_mask(mask: np.ndarray, size: int) -> np.ndarray:
    """Nearest-neighbour resize of (..., H, W) masks to size×size (pixel centres)."""
    h, w = mask.shape[-2:]
    rows = ((np.arange(size) + 0.5) * h / size).astype(int)
    cols = ((np.arange(size) + 0.5) * w / size).astype(int)
    return mask[..., rows[:, None], cols[None, :]]


class Real3DPortrait(TalkingHeadModel):
    info = ModelInfo(
        name="real3d-portrait", kind="one-shot",
        description="Real3D-Portrait (ICLR 2024): I2P tri-plane + PNCC motion adapter + HTB-SR, released-code layout",
        paper="arXiv:2401.08503",
        config={**Real3DPortraitConfig().to_dict(), "real_inputs": True, "real_inputs_note": SUBSTITUTION_NOTE})
    needs = ("cameras",)

    def __init__(self, checkpoint: str | None = None, sha256: str | None = None, device: str = "cpu",
                 image_size: int = 512, seed: int = 0, morphable: MorphableModel | None = None,
                 config: Real3DPortraitConfig | None = None, real_inputs: bool = True):
        self.real_inputs = real_inputs
        self._observer = self._segmenter = None
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
        out = {**self.config.to_dict(), "checkpoint": self.checkpoint, "image_size": self.image_size, "seed": self.seed,
               "real_inputs": self.real_inputs}
        if self.real_inputs:
            out["real_inputs_note"] = SUBSTITUTION_NOTE
        return out

    def _observe(self, frame: np.ndarray, what: str):
        if self._observer is None:
            self._observer = MeshObserver()
        return self._observer(frame, what)

    def _prepare_real(self, frame: np.ndarray) -> _State:
        size, dev = self.image_size, self.device
        obs = self._observe(frame, "source image")
        if self._segmenter is None:
            self._segmenter = HeadSegmenter()
        seg = _resize_mask(self._segmenter(frame, obs.mesh), size)  # (6, S, S) at the model resolution
        src = _to_tensor([frame], size).to(dev)
        keep = lambda m: torch.where(torch.as_tensor(m, device=dev)[None, None], src, -torch.ones_like(src))  # noqa: E731
        resized = (np.asarray(_to_tensor([frame], size)[0].permute(1, 2, 0)) + 1) * 127.5
        bg = knn_fill_background(resized, seg[0])
        ncc = MeshNCC(obs.canonical)
        pncc = ncc.render([obs.canonical], size).to(dev)
        head_input = keep(seg[3])
        return _State(src, self.network.canonical_planes(head_input), pncc, pncc, keep(seg[2] | seg[4]),
                      _to_tensor([bg.clip(0, 255)], size).to(dev),
                      torch.as_tensor(_resize_mask(seg, 64), dtype=torch.float32, device=dev)[None], ncc)

    @torch.no_grad()
    def prepare(self, source: Sequence[np.ndarray]) -> _State:
        if self.real_inputs:
            return self._prepare_real(np.asarray(source[0]))
        src = _to_tensor(source[:1], self.image_size).to(self.device)
        pncc = render_pncc(self.morphable, size=self.image_size).to(self.device)
        return _State(src, self.network.canonical_planes(src), pncc)

    @torch.no_grad()
    def driving_pncc(self, state: _State, driving: Sequence[np.ndarray]) -> torch.Tensor:
        """Mesh-NCC (T, 3, S, S) of each driving frame (head pose removed; it is not transferred)."""
        if state.ncc is None:
            raise NotAvailableYet("Real3D-Portrait video driving without real-input pre-processing", 8)
        targets = [self._observe(np.asarray(f), f"driving frame {i}").canonical for i, f in enumerate(driving)]
        return state.ncc.render(targets, self.image_size).to(self.device)

    @torch.no_grad()
    def animate(self, state: _State, driving=None, cameras: Sequence[Camera] | None = None, audio=None, gt=None):
        if audio is not None:
            raise NotAvailableYet("Real3D-Portrait audio-driven path (HuBERT + A2M VAE)", 8)
        if driving is not None and cameras is None and not self.real_inputs:
            raise NotAvailableYet("Real3D-Portrait video driving without real-input pre-processing", 8)
        default = Camera(lookat_cam2world(np.pi / 2, np.pi / 2), normalized_intrinsics(EG3D_FOCAL), "real3d")
        if driving is not None and state.ncc is not None:
            tgt = self.driving_pncc(state, driving)
            cameras = list(cameras) if cameras else [default] * len(tgt)
            if len(cameras) != len(tgt):
                raise ValueError(f"{len(cameras)} cameras for {len(tgt)} driving frames")
        else:
            cameras = list(cameras) if cameras else [default]
            tgt = (state.pncc_src if state.pncc_src is not None else state.pncc_cano).expand(len(cameras), -1, -1, -1)
        src_pncc = state.pncc_src if state.pncc_src is not None else state.pncc_cano
        s = state.source
        if state.segmap is not None:
            seg, torso, bg = state.segmap, state.ref_torso, state.ref_bg
        else:
            seg = torch.zeros(1, 6, 64, 64, device=self.device)
            seg[:, 0] = 1  # no segmentation: everything is background
            torso, bg = s, s
        kp = torch.zeros(1, 4, 3, device=self.device)
        gen = torch.Generator(device=self.device).manual_seed(self.seed)
        frames = []
        for i, cam in enumerate(cameras):
            pncc = torch.cat([state.pncc_cano, src_pncc, tgt[i:i + 1]], dim=1)
            planes = self.network.motion_planes(state.cano_planes, pncc)
            label = torch.as_tensor(camera_to_label(cam), dtype=torch.float32, device=self.device)[None]
            out = self.network.synthesize(planes, label, torso, bg, seg, kp, kp, generator=gen)
            img = ((out["image"][0].clamp(-1, 1) + 1) * 127.5).round().byte().permute(1, 2, 0).cpu().numpy()
            frames.append(img)
        return frames
