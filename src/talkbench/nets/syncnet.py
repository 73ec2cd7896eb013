"""SyncNet (syncnet_v2, Chung & Zisserman) audio and lip networks with the key layout of syncnet_v2.model.

The four nn.Sequential trunks and their indices reproduce the official checkpoint's state_dict names
(``netcnnaud.0.weight`` …; layer table in shared/specs/metrics.md §4.2). Inputs, as the reference
evaluates them:
- lip: N×3×5×224×224, five consecutive 25 fps frames of the face crop, BGR, raw 0–255 floats;
- audio: N×1×13×20 MFCC windows (4 MFCC columns per video frame, 20 = 0.2 s).
Both heads return 1024-d embeddings, not normalised. The official file has no ``num_batches_tracked``
buffers; loading tolerates exactly those being absent and nothing else.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

WEIGHTS_ID = "syncnet_v2"
BACKBONE_ID = "syncnet-v2"
EMBED_DIM = 1024


def _conv_bn_relu2d(cin: int, cout: int, **kw) -> list[nn.Module]:
    return [nn.Conv2d(cin, cout, **kw), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]


def _conv_bn_relu3d(cin: int, cout: int, **kw) -> list[nn.Module]:
    return [nn.Conv3d(cin, cout, **kw), nn.BatchNorm3d(cout), nn.ReLU(inplace=True)]


def _fc_head(dim: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(512, 512), nn.BatchNorm1d(512), nn.ReLU(inplace=True), nn.Linear(512, dim))


class SyncNet(nn.Module):
    """`SyncNetModel.S(num_layers_in_fc_layers=1024)`: index-for-index the same modules."""

    def __init__(self, embed_dim: int = EMBED_DIM):
        super().__init__()
        self.netcnnaud = nn.Sequential(
            *_conv_bn_relu2d(1, 64, kernel_size=3, stride=1, padding=1),  # 0-2
            nn.MaxPool2d(kernel_size=1, stride=1),  # 3
            *_conv_bn_relu2d(64, 192, kernel_size=3, stride=1, padding=1),  # 4-6
            nn.MaxPool2d(kernel_size=(3, 3), stride=(1, 2)),  # 7
            *_conv_bn_relu2d(192, 384, kernel_size=3, padding=1),  # 8-10
            *_conv_bn_relu2d(384, 256, kernel_size=3, padding=1),  # 11-13
            *_conv_bn_relu2d(256, 256, kernel_size=3, padding=1),  # 14-16
            nn.MaxPool2d(kernel_size=(3, 3), stride=(2, 2)),  # 17
            *_conv_bn_relu2d(256, 512, kernel_size=(5, 4), padding=(0, 0)),  # 18-20
        )
        self.netfcaud = _fc_head(embed_dim)
        self.netfclip = _fc_head(embed_dim)
        self.netcnnlip = nn.Sequential(
            *_conv_bn_relu3d(3, 96, kernel_size=(5, 7, 7), stride=(1, 2, 2), padding=0),  # 0-2
            nn.MaxPool3d(kernel_size=(1, 3, 3), stride=(1, 2, 2)),  # 3
            *_conv_bn_relu3d(96, 256, kernel_size=(1, 5, 5), stride=(1, 2, 2), padding=(0, 1, 1)),  # 4-6
            nn.MaxPool3d(kernel_size=(1, 3, 3), stride=(1, 2, 2), padding=(0, 1, 1)),  # 7
            *_conv_bn_relu3d(256, 256, kernel_size=(1, 3, 3), padding=(0, 1, 1)),  # 8-10
            *_conv_bn_relu3d(256, 256, kernel_size=(1, 3, 3), padding=(0, 1, 1)),  # 11-13
            *_conv_bn_relu3d(256, 256, kernel_size=(1, 3, 3), padding=(0, 1, 1)),  # 14-16
            nn.MaxPool3d(kernel_size=(1, 3, 3), stride=(1, 2, 2)),  # 17
            *_conv_bn_relu3d(256, 512, kernel_size=(1, 6, 6), padding=0),  # 18-20
        )

    def forward_audio(self, mfcc: torch.Tensor) -> torch.Tensor:
        """N×1×13×20 MFCC windows -> N×1024."""
        if mfcc.dim() != 4 or tuple(mfcc.shape[1:]) != (1, 13, 20):
            raise ValueError(f"SyncNet audio input must be N×1×13×20, got {tuple(mfcc.shape)}")
        x = self.netcnnaud(mfcc)
        return self.netfcaud(x.reshape(x.shape[0], -1))

    def forward_lip(self, clips: torch.Tensor) -> torch.Tensor:
        """N×3×5×224×224 BGR 0–255 face-crop windows -> N×1024."""
        if clips.dim() != 5 or tuple(clips.shape[1:]) != (3, 5, 224, 224):
            raise ValueError(f"SyncNet lip input must be N×3×5×224×224, got {tuple(clips.shape)}")
        x = self.netcnnlip(clips)
        return self.netfclip(x.reshape(x.shape[0], -1))


@dataclass(frozen=True)
class LoadedSyncNet:
    net: SyncNet
    weights_file: str | None  # None for a random initialisation
    weights_sha256: str | None
    random_init: bool = False
    seed: int | None = None


def load_syncnet(path: str | Path | None = None, expected_sha256: str | None = None) -> LoadedSyncNet:
    """The syncnet_v2 weights, sha256-checked, then torch.load(weights_only=True).

    `path` None: the installed official file (MissingWeightsError when absent). `expected_sha256`
    defaults to the official hash; a different file raises WeightsMismatchError.
    """
    from ..weights.store import file_sha256, get_weights_spec, load_into, load_verified_state_dict, locate_weights

    spec = get_weights_spec(WEIGHTS_ID)
    file = locate_weights(spec) if path is None else Path(path)
    state = load_verified_state_dict(file, sha256=expected_sha256 or spec.sha256)
    net = SyncNet()
    load_into(net, state)
    return LoadedSyncNet(net.eval(), file.name, file_sha256(file))


def random_syncnet(seed: int = 0) -> LoadedSyncNet:
    """A randomly initialised SyncNet (BN in eval mode): only for plumbing checks, never comparable numbers."""
    gen_state = torch.random.get_rng_state()
    try:
        torch.manual_seed(seed)
        net = SyncNet()
    finally:
        torch.random.set_rng_state(gen_state)
    return LoadedSyncNet(net.eval(), None, None, random_init=True, seed=seed)


def pooled_syncnet(weights: str = "official", seed: int = 0):
    """The process's SyncNet (a LoadedBackbone): the official file (MissingWeightsError when absent) or,
    for weights="random-init" (plumbing checks only), a seeded random initialisation."""
    from .pool import POOL

    def resolve():
        if weights == "random-init":
            return f"random-init-seed{seed}", lambda: random_syncnet(seed).net
        from ..weights.store import verified_weights

        found = verified_weights(WEIGHTS_ID)  # MissingWeightsError / WeightsMismatchError
        return found.sha256, lambda: load_syncnet(found.path).net

    return POOL.get(BACKBONE_ID, resolve)
