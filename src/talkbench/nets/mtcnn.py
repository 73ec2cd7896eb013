"""MTCNN P-, R- and O-Net (facenet-pytorch layout) without facenet_pytorch / torchvision.

The real weights ship inside the facenet-pytorch wheel (data/{p,r,o}net.pt); they are read from the
installed package folder. Input: RGB, (x − 127.5) · 0.0078125. R-/O-Net flatten after permute(0,3,2,1).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

WEIGHTS_IDS = {"pnet": "mtcnn_pnet", "rnet": "mtcnn_rnet", "onet": "mtcnn_onet"}


def normalize_pixels(x_uint8_range: torch.Tensor) -> torch.Tensor:
    """RGB values in 0..255 → MTCNN input range."""
    return (x_uint8_range - 127.5) * 0.0078125


class PNet(nn.Module):
    """Fully convolutional proposal net: returns (box regression N×4×h×w, face probability N×2×h×w)."""

    def __init__(self):
        super().__init__()
        self.conv1, self.prelu1 = nn.Conv2d(3, 10, 3), nn.PReLU(10)
        self.conv2, self.prelu2 = nn.Conv2d(10, 16, 3), nn.PReLU(16)
        self.conv3, self.prelu3 = nn.Conv2d(16, 32, 3), nn.PReLU(32)
        self.conv4_1 = nn.Conv2d(32, 2, 1)
        self.conv4_2 = nn.Conv2d(32, 4, 1)

    def forward(self, x):
        x = F.max_pool2d(self.prelu1(self.conv1(x)), 2, 2, ceil_mode=True)
        x = self.prelu3(self.conv3(self.prelu2(self.conv2(x))))
        return self.conv4_2(x), F.softmax(self.conv4_1(x), dim=1)


def _flatten_whc(x: torch.Tensor) -> torch.Tensor:
    return x.permute(0, 3, 2, 1).contiguous().flatten(1)


class RNet(nn.Module):
    """24×24 refinement net: returns (box regression N×4, face probability N×2)."""

    def __init__(self):
        super().__init__()
        self.conv1, self.prelu1 = nn.Conv2d(3, 28, 3), nn.PReLU(28)
        self.conv2, self.prelu2 = nn.Conv2d(28, 48, 3), nn.PReLU(48)
        self.conv3, self.prelu3 = nn.Conv2d(48, 64, 2), nn.PReLU(64)
        self.dense4, self.prelu4 = nn.Linear(576, 128), nn.PReLU(128)
        self.dense5_1 = nn.Linear(128, 2)
        self.dense5_2 = nn.Linear(128, 4)

    def forward(self, x):
        x = F.max_pool2d(self.prelu1(self.conv1(x)), 3, 2, ceil_mode=True)
        x = F.max_pool2d(self.prelu2(self.conv2(x)), 3, 2, ceil_mode=True)
        x = self.prelu4(self.dense4(_flatten_whc(self.prelu3(self.conv3(x)))))
        return self.dense5_2(x), F.softmax(self.dense5_1(x), dim=1)


class ONet(nn.Module):
    """48×48 output net: returns (box regression N×4, landmarks N×10 [5 x then 5 y], probability N×2)."""

    def __init__(self):
        super().__init__()
        self.conv1, self.prelu1 = nn.Conv2d(3, 32, 3), nn.PReLU(32)
        self.conv2, self.prelu2 = nn.Conv2d(32, 64, 3), nn.PReLU(64)
        self.conv3, self.prelu3 = nn.Conv2d(64, 64, 3), nn.PReLU(64)
        self.conv4, self.prelu4 = nn.Conv2d(64, 128, 2), nn.PReLU(128)
        self.dense5, self.prelu5 = nn.Linear(1152, 256), nn.PReLU(256)
        self.dense6_1 = nn.Linear(256, 2)
        self.dense6_2 = nn.Linear(256, 4)
        self.dense6_3 = nn.Linear(256, 10)

    def forward(self, x):
        x = F.max_pool2d(self.prelu1(self.conv1(x)), 3, 2, ceil_mode=True)
        x = F.max_pool2d(self.prelu2(self.conv2(x)), 3, 2, ceil_mode=True)
        x = F.max_pool2d(self.prelu3(self.conv3(x)), 2, 2, ceil_mode=True)
        x = self.prelu5(self.dense5(_flatten_whc(self.prelu4(self.conv4(x)))))
        return self.dense6_2(x), self.dense6_3(x), F.softmax(self.dense6_1(x), dim=1)


NETS = {"pnet": PNet, "rnet": RNet, "onet": ONet}


def load_mtcnn_net(name: str) -> nn.Module:
    """One of pnet/rnet/onet with the real facenet-pytorch weights (sha256-verified), in eval mode."""
    from ..weights.store import load_into, load_verified_state_dict

    net = NETS[name]()
    load_into(net, load_verified_state_dict(WEIGHTS_IDS[name]))
    return net.eval()
