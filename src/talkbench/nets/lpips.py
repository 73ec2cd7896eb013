"""LPIPS (v0.1) without the lpips package: trunk taps, unit-normalised differences, linear heads.

    d(x0, x1) = Σ_l  mean_hw  w_l · ( f̂_l(x0) − f̂_l(x1) )²,   f̂ = f / (‖f‖₂ over channels + 1e-10)

with inputs in [-1,1] passed through the v0.1 ScalingLayer (x − shift) / scale. The trunk weights are
the torchvision files (alexnet / vgg16), the heads `lin{k}.model.1.weight` are lpips' shipped files,
read from the installed package folder.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from .alexnet import AlexNet
from .vgg16 import VGG16

SHIFT = (-0.030, -0.088, -0.188)
SCALE = (0.458, 0.448, 0.450)
NORM_EPS = 1e-10


@dataclass(frozen=True)
class LPIPSVariant:
    trunk: type
    trunk_weights: str  # weights catalog id of the torchvision file
    heads_weights: str  # weights catalog id of the lpips linear layers


VARIANTS: dict[str, LPIPSVariant] = {
    "alex": LPIPSVariant(AlexNet, "alexnet", "lpips_v0.1_alex"),
    "vgg": LPIPSVariant(VGG16, "vgg16", "lpips_v0.1_vgg"),
}


class ScalingLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("shift", torch.tensor(SHIFT).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("scale", torch.tensor(SCALE).view(1, 3, 1, 1), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.shift) / self.scale


class NetLinLayer(nn.Module):
    """Dropout (identity in eval) then a 1×1 conv to one channel, no bias: keys `model.1.weight`."""

    def __init__(self, channels: int):
        super().__init__()
        self.model = nn.Sequential(nn.Dropout(), nn.Conv2d(channels, 1, 1, bias=False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)


class LinearHeads(nn.Module):
    """lin0..lin4, the exact layout of lpips/weights/v0.1/<net>.pth."""

    def __init__(self, channels: tuple[int, ...]):
        super().__init__()
        for k, c in enumerate(channels):
            self.add_module(f"lin{k}", NetLinLayer(c))

    def __getitem__(self, k: int) -> NetLinLayer:
        return getattr(self, f"lin{k}")


def unit_normalize(feat: torch.Tensor) -> torch.Tensor:
    return feat / (torch.sqrt(torch.sum(feat ** 2, dim=1, keepdim=True)) + NORM_EPS)


def layer_terms(feats0: list[torch.Tensor], feats1: list[torch.Tensor], heads: LinearHeads) -> torch.Tensor:
    """N×L: per layer, the spatial mean of the head-weighted squared difference of unit-normalised features."""
    terms = [heads[k]((unit_normalize(a) - unit_normalize(b)) ** 2).mean(dim=(2, 3)).squeeze(1)
             for k, (a, b) in enumerate(zip(feats0, feats1))]
    return torch.stack(terms, dim=1)


class LPIPSNetwork(nn.Module):
    def __init__(self, net: str = "alex"):
        super().__init__()
        if net not in VARIANTS:
            raise ValueError(f"LPIPS net must be one of {sorted(VARIANTS)}, got {net!r}")
        self.net_name = net
        self.scaling = ScalingLayer()
        self.trunk = VARIANTS[net].trunk(classifier=False)
        self.heads = LinearHeads(self.trunk.channels)

    def layer_distances(self, x0: torch.Tensor, x1: torch.Tensor) -> torch.Tensor:
        """N×L per-layer terms for inputs in [-1,1]; their row sums are the LPIPS distances."""
        f0 = self.trunk.tap_features(self.scaling(x0))
        f1 = self.trunk.tap_features(self.scaling(x1))
        return layer_terms(f0, f1, self.heads)

    def forward(self, x0: torch.Tensor, x1: torch.Tensor) -> torch.Tensor:
        return self.layer_distances(x0, x1).sum(dim=1)


@dataclass(frozen=True)
class LoadedLPIPS:
    network: LPIPSNetwork
    trunk_sha256: str
    heads_sha256: str


def load_lpips(net: str = "alex") -> LoadedLPIPS:
    """LPIPS with the official torchvision trunk and the lpips package's linear heads, both sha256-verified."""
    from ..weights.store import load_into, load_verified_state_dict, verified_weights

    model = LPIPSNetwork(net)  # raises on an unknown net
    variant = VARIANTS[net]
    trunk_file = verified_weights(variant.trunk_weights)
    heads_file = verified_weights(variant.heads_weights)
    trunk_sd = load_verified_state_dict(trunk_file.path, trunk_file.sha256)
    load_into(model.trunk, {k: v for k, v in trunk_sd.items() if k.startswith("features.")})
    load_into(model.heads, load_verified_state_dict(heads_file.path, heads_file.sha256))
    return LoadedLPIPS(model.eval(), trunk_file.sha256, heads_file.sha256)


def lpips_backbone_id(net: str) -> str:
    from ..weights.store import get_weights_spec

    return get_weights_spec(VARIANTS[net].heads_weights).backbone


def pooled_lpips(net: str = "alex"):
    """The process's LPIPS network for `net` (a LoadedBackbone; weights_sha256 = "trunk+heads")."""
    from ..weights.store import verified_weights
    from .pool import POOL

    if net not in VARIANTS:
        raise ValueError(f"LPIPS net must be one of {sorted(VARIANTS)}, got {net!r}")

    def resolve():
        trunk, heads = verified_weights(VARIANTS[net].trunk_weights), verified_weights(VARIANTS[net].heads_weights)
        return f"{trunk.sha256}+{heads.sha256}", lambda: load_lpips(net).network

    return POOL.get(lpips_backbone_id(net), resolve)
