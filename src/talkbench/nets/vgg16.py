"""torchvision-layout VGG16 (config D, no BN) without torchvision (keys of vgg16-397923af.pth).

LPIPS taps: [0:4] relu1_2 (64), [4:9] relu2_2 (128), [9:16] relu3_3 (256), [16:23] relu4_3 (512),
[23:30] relu5_3 (512).
"""
from __future__ import annotations

import torch
from torch import nn

from .alexnet import tap_features

WEIGHTS_ID = "vgg16"
TAPS = ((0, 4), (4, 9), (9, 16), (16, 23), (23, 30))
CHANNELS = (64, 128, 256, 512, 512)
_CONFIG_D = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M")


def vgg16_features() -> nn.Sequential:
    layers: list[nn.Module] = []
    cin = 3
    for v in _CONFIG_D:
        if v == "M":
            layers.append(nn.MaxPool2d(2, 2))
        else:
            layers += [nn.Conv2d(cin, int(v), 3, padding=1), nn.ReLU()]
            cin = int(v)
    return nn.Sequential(*layers)


class VGG16(nn.Module):
    taps = TAPS
    channels = CHANNELS

    def __init__(self, classifier: bool = True):
        super().__init__()
        self.features = vgg16_features()
        if classifier:
            self.classifier = nn.Sequential(
                nn.Linear(512 * 7 * 7, 4096), nn.ReLU(), nn.Dropout(),
                nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(), nn.Linear(4096, 1000),
            )

    def tap_features(self, x: torch.Tensor) -> list[torch.Tensor]:
        return tap_features(self.features, self.taps, x)
