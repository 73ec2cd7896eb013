"""ResNet-34 encoder in the torchvision layout, made dilated for output stride 8 (as smp does).

Keys: conv1, bn1, layer1..layer4 (blocks with conv1/bn1/conv2/bn2 and downsample.0/.1); no fc.
Never downloads anything: weights come only from a checkpoint.
`batch_norm=False` is LP3D's variant (Live3DPortrait's `use_bn=False`): every BatchNorm becomes an
Identity and the convolutions before it get a bias. `width` scales the channels (64: ResNet-34) for
reduced CPU configurations.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F


def _norm(ch: int, batch_norm: bool) -> nn.Module:
    return nn.BatchNorm2d(ch) if batch_norm else nn.Identity()


class BasicBlock(nn.Module):
    def __init__(self, in_ch: int, out_ch: int, stride: int = 1, dilation: int = 1, batch_norm: bool = True):
        super().__init__()
        bias = not batch_norm
        self.conv1 = nn.Conv2d(in_ch, out_ch, 3, stride, padding=dilation, dilation=dilation, bias=bias)
        self.bn1 = _norm(out_ch, batch_norm)
        self.conv2 = nn.Conv2d(out_ch, out_ch, 3, 1, padding=dilation, dilation=dilation, bias=bias)
        self.bn2 = _norm(out_ch, batch_norm)
        self.downsample = None
        if stride != 1 or in_ch != out_ch:
            self.downsample = nn.Sequential(nn.Conv2d(in_ch, out_ch, 1, stride, bias=bias), _norm(out_ch, batch_norm))

    def forward(self, x):
        idt = x if self.downsample is None else self.downsample(x)
        y = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(y)) + idt)


class DilatedResNet34(nn.Module):
    """Output stride 8: layer3 and layer4 keep resolution with dilation 2 and 4."""

    def __init__(self, in_channels: int = 5, width: int = 64, batch_norm: bool = True):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, width, 7, 2, 3, bias=not batch_norm)
        self.bn1 = _norm(width, batch_norm)
        spec = [(width, 3, 1, 1), (2 * width, 4, 2, 1), (4 * width, 6, 1, 2), (8 * width, 3, 1, 4)]
        in_ch = width
        for i, (ch, n, stride, dil) in enumerate(spec, start=1):
            blocks = ([BasicBlock(in_ch, ch, stride, dil, batch_norm)]
                      + [BasicBlock(ch, ch, 1, dil, batch_norm) for _ in range(n - 1)])
            setattr(self, f"layer{i}", nn.Sequential(*blocks))
            in_ch = ch

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.max_pool2d(x, 3, 2, 1)
        return self.layer4(self.layer3(self.layer2(self.layer1(x))))


class _ConvReLU(nn.Sequential):
    def __init__(self, in_ch, out_ch, k, dilation=1):
        super().__init__(nn.Conv2d(in_ch, out_ch, k, padding=dilation * (k // 2), dilation=dilation, bias=False),
                         nn.ReLU())


class _PoolBranch(nn.Sequential):
    """Global average pool -> 1×1 conv -> ReLU, broadcast back to the input size (keys `1.weight`)."""

    def __init__(self, in_ch, out_ch):
        super().__init__(nn.AdaptiveAvgPool2d(1), nn.Conv2d(in_ch, out_ch, 1, bias=False), nn.ReLU())

    def forward(self, x):
        return F.interpolate(super().forward(x), size=x.shape[-2:], mode="bilinear", align_corners=False)


class ASPP(nn.Module):
    """Atrous spatial pyramid pooling without batch norm (Real3D's variant): 1×1, 3 dilated 3×3, pooling."""

    def __init__(self, in_ch: int = 512, out_ch: int = 256, rates=(12, 24, 36)):
        super().__init__()
        self.convs = nn.ModuleList([_ConvReLU(in_ch, out_ch, 1)] + [_ConvReLU(in_ch, out_ch, 3, r) for r in rates]
                                   + [_PoolBranch(in_ch, out_ch)])
        self.project = nn.Sequential(nn.Conv2d(5 * out_ch, out_ch, 1, bias=False), nn.ReLU(), nn.Dropout(0.5))

    def forward(self, x):
        return self.project(torch.cat([c(x) for c in self.convs], dim=1))


class DeepLabV3(nn.Module):
    """`encoder` (dilated ResNet-34) + `decoder` = [ASPP, 3×3 conv 256] -> (B, 256, H/8, W/8).

    (256 and 512 are 4·width and 8·width; the ASPP never had batch norm, so `batch_norm` only touches the encoder.)"""

    def __init__(self, in_channels: int = 5, width: int = 64, batch_norm: bool = True):
        super().__init__()
        self.out_channels = 4 * width
        self.encoder = DilatedResNet34(in_channels, width, batch_norm)
        self.decoder = nn.Sequential(ASPP(8 * width, 4 * width), nn.Conv2d(4 * width, 4 * width, 3, padding=1, bias=False))

    def forward(self, x):
        if x.shape[-1] % 8 or x.shape[-2] % 8:
            raise ValueError(f"DeepLabV3 input sides must be divisible by 8, got {tuple(x.shape[-2:])}")
        return self.decoder(self.encoder(x))
