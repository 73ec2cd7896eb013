"""Video-network analyses of a whole clip.

  i3d    I3D (Kinetics-400) features of the clip's non-overlapping 16-frame windows: each window resized
         to 224×224 (bilinear, align_corners=False, antialiased), mapped to [−1, 1], 400 logits averaged over
         time (FVD). A clip shorter than one window is missing, with the reason.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from .base import ClipAnalyser
from .records import FrameRecord

WINDOW = 16
SIZE = 224


def windows(frames: list[np.ndarray], length: int = WINDOW) -> list[torch.Tensor]:
    """3×T×224×224 tensors in [−1, 1], one per non-overlapping window (a trailing partial window is dropped)."""
    out = []
    for start in range(0, len(frames) - length + 1, length):
        x = torch.from_numpy(np.stack(frames[start:start + length])).permute(0, 3, 1, 2).float() / 255.0
        x = F.interpolate(x, size=(SIZE, SIZE), mode="bilinear", align_corners=False, antialias=True)
        out.append((x * 2.0 - 1.0).permute(1, 0, 2, 3).contiguous())
    return out


class I3DAnalyser(ClipAnalyser):
    name = "i3d"
    batch_size = 2

    def loaded(self):
        from ..nets.i3d import pooled_i3d

        return pooled_i3d()

    def backbone_fingerprint(self):
        return self.loaded().fingerprint()

    def options_fingerprint(self):
        return {"window": WINDOW, "size": SIZE}

    @torch.no_grad()
    def analyse_clip(self, clip, stage) -> FrameRecord:
        wins = windows(clip.arrays)
        if not wins:
            return FrameRecord.missing_because(f"{len(clip.arrays)} frames: FVD needs at least one window of {WINDOW}")
        net = self.loaded().network
        feats = torch.cat([net(torch.stack(wins[i:i + self.batch_size])) for i in range(0, len(wins), self.batch_size)])
        return FrameRecord(value={"features": feats.double().numpy()})
