"""Image-network analyses: Inception pool3 features per frame (FID, KID) and LPIPS distances per pair.

  inception        pytorch-fid Inception-v3 pool3 features, 2048-d float64 per frame (computed in float32)
  lpips:<net>      LPIPS v0.1 distance (alex | vgg) of a (frame, reference) pair, float64

Both take uint8 H×W×3 RGB frames or float 3×H×W images in [0,1]; a uint8 frame is mapped to [0,1]
exactly as FrameSet.tensor does (float64 for LPIPS, float32 for Inception: the precision each metric
fed its network before this stage existed, so the numbers are unchanged).
"""
from __future__ import annotations

import numpy as np
import torch

from ..nets.lpips import VARIANTS as LPIPS_VARIANTS  # net name -> trunk and heads weights ids (for cards)
from .base import FrameAnalyser, PairAnalyser
from .records import FrameRecord

__all__ = ["InceptionAnalyser", "LPIPSAnalyser", "LPIPS_VARIANTS", "image_batch"]


def image_batch(frames: list[np.ndarray], dtype: torch.dtype) -> torch.Tensor:
    """N×3×H×W in [0,1]: uint8 H×W×3 frames through io.frames.to_batch, float 3×H×W images as given."""
    from ..io.frames import to_batch

    if all(f.dtype == np.uint8 for f in frames):
        return to_batch(list(frames), dtype)
    return torch.stack([torch.from_numpy(np.ascontiguousarray(f)) if f.dtype != np.uint8
                        else to_batch([f], torch.float64)[0] for f in frames]).to(dtype)


class InceptionAnalyser(FrameAnalyser):
    name = "inception"
    accepts_float = True

    def loaded(self):
        from ..nets.inception_fid import pooled_fid_inception

        return pooled_fid_inception()

    def backbone_fingerprint(self):
        return self.loaded().fingerprint()

    @torch.no_grad()
    def analyse(self, frames, inputs):
        net = self.loaded().network
        feats = net(image_batch(frames, torch.float32)).double().numpy()
        return [FrameRecord(value={"pool3": f}) for f in feats]


class LPIPSAnalyser(PairAnalyser):
    accepts_float = True

    def __init__(self, net: str = "alex"):
        if net not in LPIPS_VARIANTS:
            raise ValueError(f"LPIPS net must be one of {sorted(LPIPS_VARIANTS)}, got {net!r}")
        self.net_name = net
        self.name = f"lpips:{net}"

    def loaded(self):
        from ..nets.lpips import pooled_lpips

        return pooled_lpips(self.net_name)

    def backbone_fingerprint(self):
        return self.loaded().fingerprint()

    @torch.no_grad()
    def analyse_pairs(self, frames, refs):
        net = self.loaded().network
        x0 = image_batch(frames, torch.float64).float() * 2.0 - 1.0
        x1 = image_batch(refs, torch.float64).float() * 2.0 - 1.0
        return [FrameRecord(value={"distance": float(d)}) for d in net(x0, x1).double().numpy()]
