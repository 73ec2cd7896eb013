"""Deep3DFaceRecon coefficients (ResNet-50 + 7 heads, epoch_20.pth) on POS-aligned 224 crops."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass
class Deep3DNet:
    id: str
    weights_sha256: str
    net: Any

    def coefficients(self, crops: np.ndarray) -> np.ndarray:
        """N×224×224×3 uint8 RGB crops -> N×257 float64 (input RGB/255, no normalisation)."""
        import torch

        x = torch.from_numpy(np.ascontiguousarray(crops)).permute(0, 3, 1, 2).float() / 255.0
        with torch.no_grad():
            return self.net(x).double().numpy()


def get_deep3d() -> Deep3DNet:
    """Deep3DFaceRecon, loaded once per process (nets.pool); MissingWeightsError when epoch_20.pth is absent."""
    from ..nets.deep3d_resnet import WEIGHTS_ID, load_recon_net
    from ..nets.pool import POOL
    from ..weights.store import verified_weights

    def resolve():
        sha = verified_weights(WEIGHTS_ID).sha256
        return sha, lambda: Deep3DNet("deep3dfacerecon-r50-epoch20", sha, load_recon_net())

    return POOL.get("deep3dfacerecon-r50", resolve).network
