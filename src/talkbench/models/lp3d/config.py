"""LP3D hyper-parameters (seed-models.md §1, §2.3, §6) and the named presets.

* `real3d`: Real3D-Portrait's image-to-plane network (BatchNorm kept), its decoder and the EG3D blocks of
  its super-resolution, rendered as Real3D does (48 + 48 samples, auto near/far, 128² features, 512² SR):
  what a Real3D-Portrait checkpoint fills.
* `lp3d`: the LP3D paper / Live3DPortrait topology: DeepLabV3 encoder without BatchNorm, 2 heads in the
  final ViT block, EG3D FFHQ rendering (2.25–3.3, 48 + 48). No weights of this layout can be read yet.
* `tiny`: a reduced CPU configuration for training on the mini benchmark and for tests (64² input,
  8 features per plane, narrow ViTs, 32² rendering without SR, white background like the mini renders).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from ..real3d_portrait.img2plane import I2PWidths


@dataclass(frozen=True)
class LP3DConfig:
    image_size: int = 512                 # input side; planes are image_size / 2
    plane_features: int = 32              # channels per plane (3 planes)
    i2p_vit_blocks: int = 5
    i2p_predictor_blocks: int = 1
    widths: I2PWidths = field(default_factory=I2PWidths)
    decoder_hidden: int = 64
    neural_rendering_resolution: int = 128
    num_samples_coarse: int = 48
    num_samples_fine: int = 48
    ray_near: float | str = "auto"
    ray_far: float | str = "auto"
    box_warp: float = 1.0
    plane_convention: str = "eg3d"        # LP3D and Real3D use EG3D's original (xy, xz, zx) planes
    camera_radius: float | None = 2.7     # protocol cameras are rescaled to this distance from the origin
    white_back: bool = False
    super_resolution: bool = True         # EG3D SuperresolutionHybrid8XDC 128 -> 512
    w_dim: int = 512
    sr_antialias: bool = True
    sr_noise_mode: str = "none"

    @property
    def plane_channels(self) -> int:
        return 3 * self.plane_features

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "LP3DConfig":
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ValueError(f"unknown LP3D config keys {unknown}")
        d = dict(d)
        if isinstance(d.get("widths"), dict):
            d["widths"] = I2PWidths(**d["widths"])
        if isinstance(d.get("ray_near"), list):
            d["ray_near"] = d["ray_near"][0]
        return cls(**d)

    def with_overrides(self, **kw: Any) -> "LP3DConfig":
        return replace(self, **{k: v for k, v in kw.items() if v is not None})


PRESETS: dict[str, LP3DConfig] = {
    "real3d": LP3DConfig(),
    "lp3d": LP3DConfig(widths=I2PWidths(predictor_heads=2, batch_norm=False), ray_near=2.25, ray_far=3.3),
    "tiny": LP3DConfig(image_size=64, plane_features=8,
                       widths=I2PWidths(vit_dim=64, vit_heads=2, predictor_heads=2, branch_channels=24,
                                        predictor_width=32, resnet_width=8, batch_norm=False),
                       i2p_vit_blocks=1, decoder_hidden=32, neural_rendering_resolution=32, num_samples_coarse=12,
                       num_samples_fine=12, white_back=True, super_resolution=False),
}


def preset(name: str) -> LP3DConfig:
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown LP3D preset {name!r}; use one of {sorted(PRESETS)}") from None
