"""Deep3DFaceRecon_pytorch's reconstruction network (ReconNetWrapper, resnet50) without torchvision.

`backbone` is a torchvision-layout ResNet-50 without fc (global average pool → N×2048×1×1);
`final_layers` are seven 1×1 convs whose outputs concatenate to 257 coefficients:
id 80 | exp 64 | tex 80 | angle 3 | gamma 27 | trans 3 (tx, ty from one head, tz from the last).
Input: N×3×224×224 RGB in [0,1] (POS-aligned crop), no normalisation.
Official file: epoch_20.pth = {'net_recon': state_dict, 'opt_00': ..., 'sched_00': ...}.
"""
from __future__ import annotations

import torch
from torch import nn

WEIGHTS_ID = "deep3dfacerecon"
HEAD_CHANNELS = (80, 64, 80, 3, 27, 2, 1)
COEFF_SLICES = {
    "id": slice(0, 80), "exp": slice(80, 144), "tex": slice(144, 224),
    "angle": slice(224, 227), "gamma": slice(227, 254), "trans": slice(254, 257),
}
NUM_COEFFS = 257


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, cin: int, planes: int, stride: int = 1):
        super().__init__()
        cout = planes * self.expansion
        self.conv1 = nn.Conv2d(cin, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, cout, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU()
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        identity = x if self.downsample is None else self.downsample(x)
        return self.relu(out + identity)


class ResNet50Trunk(nn.Module):
    """torchvision ResNet-50 layout (conv1/bn1/layer1..4), no fc; forward gives N×2048×1×1."""

    def __init__(self, layers=(3, 4, 6, 3)):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU()
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        cin = 64
        for i, (planes, blocks) in enumerate(zip((64, 128, 256, 512), layers)):
            stride = 1 if i == 0 else 2
            mods = [Bottleneck(cin, planes, stride)]
            cin = planes * Bottleneck.expansion
            mods += [Bottleneck(cin, planes) for _ in range(blocks - 1)]
            self.add_module(f"layer{i + 1}", nn.Sequential(*mods))
        self.avgpool = nn.AdaptiveAvgPool2d(1)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.avgpool(x)


class ReconNet(nn.Module):
    """forward(N×3×224×224 in [0,1]) → N×257 coefficients."""

    def __init__(self):
        super().__init__()
        self.backbone = ResNet50Trunk()
        self.final_layers = nn.ModuleList([nn.Conv2d(2048, c, 1) for c in HEAD_CHANNELS])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        feat = self.backbone(x)
        return torch.cat([head(feat) for head in self.final_layers], dim=1).flatten(1)


def split_coeffs(coeffs: torch.Tensor) -> dict[str, torch.Tensor]:
    """Named views of N×257 coefficients (id, exp, tex, angle, gamma, trans)."""
    if coeffs.shape[-1] != NUM_COEFFS:
        raise ValueError(f"expected {NUM_COEFFS} coefficients, got {coeffs.shape[-1]}")
    return {name: coeffs[..., sl] for name, sl in COEFF_SLICES.items()}


def load_recon_net(path_or_id: str = WEIGHTS_ID, sha256: str | None = None) -> ReconNet:
    from ..weights.store import load_into, load_verified_state_dict

    net = ReconNet()
    load_into(net, load_verified_state_dict(path_or_id, sha256, wrapper_key="net_recon"))
    return net.eval()
