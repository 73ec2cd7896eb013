"""torchvision-layout AlexNet without torchvision (keys of alexnet-owt-7be5be79.pth).

LPIPS uses the five ReLU taps of `features`: [0:2] relu1 (64), [2:5] relu2 (192), [5:8] relu3 (384),
[8:10] relu4 (256), [10:12] relu5 (256). The classifier exists only so that the whole file loads
strictly; LPIPS builds the trunk with `classifier=False` and reads the `features.*` keys.
"""
from __future__ import annotations

import torch
from torch import nn

WEIGHTS_ID = "alexnet"
TAPS = ((0, 2), (2, 5), (5, 8), (8, 10), (10, 12))
CHANNELS = (64, 192, 384, 256, 256)


def alexnet_features() -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(3, 64, 11, stride=4, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Conv2d(64, 192, 5, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Conv2d(192, 384, 3, padding=1), nn.ReLU(),
        nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(),
        nn.Conv2d(256, 256, 3, padding=1), nn.ReLU(), nn.MaxPool2d(3, 2),
    )


class AlexNet(nn.Module):
    taps = TAPS
    channels = CHANNELS

    def __init__(self, classifier: bool = True):
        super().__init__()
        self.features = alexnet_features()
        if classifier:
            self.classifier = nn.Sequential(
                nn.Dropout(), nn.Linear(256 * 6 * 6, 4096), nn.ReLU(),
                nn.Dropout(), nn.Linear(4096, 4096), nn.ReLU(), nn.Linear(4096, 1000),
            )

    def tap_features(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Activations after each LPIPS tap (input already scaled as the caller's metric requires)."""
        return tap_features(self.features, self.taps, x)


def tap_features(features: nn.Sequential, taps, x: torch.Tensor) -> list[torch.Tensor]:
    """Run `features` slice by slice, keeping the output at the end of each (start, stop) tap."""
    outs = []
    for start, stop in taps:
        for layer in features[start:stop]:
            x = layer(x)
        outs.append(x)
    return outs
