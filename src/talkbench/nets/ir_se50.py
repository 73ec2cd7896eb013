"""TreB1eN IR-SE50 (also pSp/e4e's identity network) without torchvision; keys of model_ir_se50.pth.

Input: N×3×112×112 in [-1,1]; the released model was effectively trained on BGR-ordered tensors
(callers choose the channel order and record it). Output: 512-d, L2-normalised.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

WEIGHTS_ID = "ir_se50"
STAGES = ((64, 64, 3), (64, 128, 4), (128, 256, 14), (256, 512, 3))


class SEModule(nn.Module):
    def __init__(self, channels: int, reduction: int = 16):
        super().__init__()
        self.fc1 = nn.Conv2d(channels, channels // reduction, 1, bias=False)
        self.fc2 = nn.Conv2d(channels // reduction, channels, 1, bias=False)

    def forward(self, x):
        w = torch.sigmoid(self.fc2(F.relu(self.fc1(F.adaptive_avg_pool2d(x, 1)))))
        return x * w


class BottleneckIRSE(nn.Module):
    def __init__(self, cin: int, depth: int, stride: int):
        super().__init__()
        if cin == depth:
            self.shortcut_layer = nn.MaxPool2d(1, stride)
        else:
            self.shortcut_layer = nn.Sequential(nn.Conv2d(cin, depth, 1, stride, bias=False), nn.BatchNorm2d(depth))
        self.res_layer = nn.Sequential(
            nn.BatchNorm2d(cin), nn.Conv2d(cin, depth, 3, 1, 1, bias=False), nn.PReLU(depth),
            nn.Conv2d(depth, depth, 3, stride, 1, bias=False), nn.BatchNorm2d(depth), SEModule(depth),
        )

    def forward(self, x):
        return self.shortcut_layer(x) + self.res_layer(x)


class IRSE50(nn.Module):
    def __init__(self, input_size: int = 112):
        super().__init__()
        self.input_layer = nn.Sequential(nn.Conv2d(3, 64, 3, 1, 1, bias=False), nn.BatchNorm2d(64), nn.PReLU(64))
        units = []
        for cin, depth, n in STAGES:
            units.append(BottleneckIRSE(cin, depth, 2))
            units += [BottleneckIRSE(depth, depth, 1) for _ in range(n - 1)]
        self.body = nn.Sequential(*units)
        spatial = input_size // 16
        self.output_layer = nn.Sequential(
            nn.BatchNorm2d(512), nn.Dropout(0.6), nn.Flatten(), nn.Linear(512 * spatial * spatial, 512), nn.BatchNorm1d(512),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.output_layer(self.body(self.input_layer(x))), dim=1)


def load_ir_se50(path_or_id: str = WEIGHTS_ID, sha256: str | None = None) -> IRSE50:
    from ..weights.store import load_into, load_verified_state_dict

    net = IRSE50()
    load_into(net, load_verified_state_dict(path_or_id, sha256))
    return net.eval()
