"""arcface_torch IResNet (iresnet50 / iresnet100) without torchvision; keys of backbone.pth.

Input: N×3×112×112 RGB aligned to the ArcFace five-point template, (x − 0.5) / 0.5; output 512-d
(not normalised; L2-normalise for cosine similarity).
"""
from __future__ import annotations

import torch
from torch import nn

BN_EPS = 1e-5
LAYERS = {"iresnet50": (3, 4, 14, 3), "iresnet100": (3, 13, 30, 3)}
WEIGHTS_IDS = {"iresnet50": "arcface_iresnet50", "iresnet100": "arcface_iresnet100"}


class IBasicBlock(nn.Module):
    """bn1 → conv1 3×3 → bn2 → prelu → conv2 3×3 (stride) → bn3, plus the (downsampled) input."""

    def __init__(self, cin: int, planes: int, stride: int = 1, downsample: nn.Module | None = None):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(cin, eps=BN_EPS)
        self.conv1 = nn.Conv2d(cin, planes, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes, eps=BN_EPS)
        self.prelu = nn.PReLU(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes, eps=BN_EPS)
        self.downsample = downsample

    def forward(self, x):
        out = self.bn3(self.conv2(self.prelu(self.bn2(self.conv1(self.bn1(x))))))
        return out + (x if self.downsample is None else self.downsample(x))


class IResNet(nn.Module):
    def __init__(self, layers: tuple[int, ...], embedding_size: int = 512, input_size: int = 112):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(64, eps=BN_EPS)
        self.prelu = nn.PReLU(64)
        cin = 64
        for i, (planes, blocks) in enumerate(zip((64, 128, 256, 512), layers)):
            down = nn.Sequential(nn.Conv2d(cin, planes, 1, stride=2, bias=False), nn.BatchNorm2d(planes, eps=BN_EPS))
            mods = [IBasicBlock(cin, planes, 2, down)] + [IBasicBlock(planes, planes) for _ in range(blocks - 1)]
            self.add_module(f"layer{i + 1}", nn.Sequential(*mods))
            cin = planes
        self.bn2 = nn.BatchNorm2d(512, eps=BN_EPS)
        spatial = input_size // 16
        self.fc = nn.Linear(512 * spatial * spatial, embedding_size)
        self.features = nn.BatchNorm1d(embedding_size, eps=BN_EPS)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.prelu(self.bn1(self.conv1(x)))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.features(self.fc(self.bn2(x).flatten(1)))


def iresnet(name: str, input_size: int = 112) -> IResNet:
    if name not in LAYERS:
        raise ValueError(f"unknown IResNet '{name}'; known: {sorted(LAYERS)}")
    return IResNet(LAYERS[name], input_size=input_size)


def load_iresnet(name: str, path: str | None = None, sha256: str | None = None) -> IResNet:
    from ..weights.store import load_into, load_verified_state_dict

    net = iresnet(name)
    load_into(net, load_verified_state_dict(path or WEIGHTS_IDS[name], sha256))
    return net.eval()
