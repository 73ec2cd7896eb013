"""Coherent3D hyper-parameters (seed 001 §3.5–3.7) and the named presets.

`paper`: 256² planes of 32 channels (LP3D at 512²), SPyNet undistorter (6 pyramid levels, 7×7 convs of
32/64/32/16 channels), 5-layer visibility ConvNet giving 128² maps, fuser stand-in of width 96.
`tiny`: the CPU configuration trained on the mini benchmark (LP3D preset `tiny`, 32² planes); its render
loss weighs 20× the tri-plane losses, because offline the teacher's pseudo-ground-truth planes come from an
untrained or briefly trained LP3D and the photographs are the only reliable signal.
The fuser is NOT RVRT: see fuser.py (a smaller recurrent transformer with the same inputs and outputs).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

from ..lp3d.config import LP3DConfig, preset as lp3d_preset


@dataclass(frozen=True)
class LossWeights:
    undist: float = 1.0
    fusion: float = 1.0
    vis: float = 1.0
    render: float = 1.0


@dataclass(frozen=True)
class Coherent3DConfig:
    lp3d: LP3DConfig = field(default_factory=LP3DConfig)
    undistorter_levels: int = 6
    undistorter_widths: tuple[int, ...] = (32, 64, 32, 16)
    undistorter_kernel: int = 7
    visibility_width: int = 32
    fuser_dim: int = 96
    fuser_heads: int = 4
    fuser_blocks: int = 2
    fuser_recon_width: int = 64
    losses: LossWeights = field(default_factory=LossWeights)
    render_loss: str = "lpips"        # lpips (paper) | l1 (CPU tests without the LPIPS weights)
    lr: float = 1e-4
    steps: int = 100_000

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["undistorter_widths"] = list(self.undistorter_widths)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Coherent3DConfig":
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ValueError(f"unknown Coherent3D config keys {unknown}")
        d = dict(d)
        d["lp3d"] = LP3DConfig.from_dict(d["lp3d"]) if isinstance(d.get("lp3d"), dict) else d.get("lp3d", LP3DConfig())
        if isinstance(d.get("losses"), dict):
            d["losses"] = LossWeights(**d["losses"])
        if "undistorter_widths" in d:
            d["undistorter_widths"] = tuple(d["undistorter_widths"])
        return cls(**d)


PRESETS: dict[str, Coherent3DConfig] = {
    "paper": Coherent3DConfig(lp3d=lp3d_preset("real3d")),
    "tiny": Coherent3DConfig(lp3d=lp3d_preset("tiny"), undistorter_levels=3, undistorter_widths=(16, 32, 16, 8),
                             undistorter_kernel=5, visibility_width=16, fuser_dim=32, fuser_heads=2, fuser_blocks=1,
                             fuser_recon_width=32, losses=LossWeights(render=20.0), render_loss="l1", lr=5e-3, steps=300),
}


def preset(name: str) -> Coherent3DConfig:
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown Coherent3D preset {name!r}; use one of {sorted(PRESETS)}") from None
