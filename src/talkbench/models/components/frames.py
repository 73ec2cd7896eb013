"""Frames at the model boundary ↔ network tensors: uint8 H×W×3 RGB ↔ [−1, 1] float, resized with an
antialiased bilinear filter (align_corners=False) when the sizes differ. One copy for every model."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F


def frames_to_tensor(frames: Sequence[np.ndarray], size: int | None = None) -> torch.Tensor:
    """uint8 H×W×3 frames -> (N, 3, size, size) float32 in [−1, 1] (no resize when size is None or equal)."""
    t = torch.as_tensor(np.stack([np.asarray(f) for f in frames])).permute(0, 3, 1, 2).float() / 127.5 - 1
    if size is not None and tuple(t.shape[-2:]) != (size, size):
        t = F.interpolate(t, size=(size, size), mode="bilinear", align_corners=False, antialias=True)
    return t


def tensor_to_frame(image: torch.Tensor, size: tuple[int, int]) -> np.ndarray:
    """(3, h, w) in [−1, 1] -> uint8 H×W×3 at `size` (H, W)."""
    if tuple(image.shape[-2:]) != tuple(size):
        image = F.interpolate(image[None], size=tuple(size), mode="bilinear", align_corners=False, antialias=True)[0]
    return ((image.clamp(-1, 1) + 1) * 127.5).round().byte().permute(1, 2, 0).cpu().numpy()
