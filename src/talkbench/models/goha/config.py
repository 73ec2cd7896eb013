"""Released hyper-parameters of GOHA's stage-2 model (`configs/s2.yml`, hard-coded `rendering_kwargs`;
seed-models.md §3)."""
from __future__ import annotations

from dataclasses import asdict, dataclass

#: canonical camera buffer of the released Model (`cano_pose`): cam2world ++ normalised intrinsics
CANO_POSE = (0.9997, 0.0059, 0.0250, -0.0731, 0.0081, -0.9961, -0.0882, 0.2462,
             0.0244, 0.0884, -0.9958, 2.6878, 0.0, 0.0, 0.0, 1.0,
             4.2647, 0.0, 0.5, 0.0, 4.2647, 0.5, 0.0, 0.0, 1.0)


@dataclass
class GOHAConfig:
    # inputs and tri-planes
    input_size: int = 512                # source / driving images (EG3D crop, black background)
    plane_channels: int = 32             # per plane; 3 planes -> 96
    plane_resolution: int = 256
    segformer_channels: int = 256        # SegFormer-b0 fused decoder feature at input/4
    lifting_resolution: int = 128        # canonical render used for lifting (`cano_render_resolution`) = uv grid
    # rendering (EG3D FFHQ kwargs with the *fixed* plane axes)
    render_resolution: int = 224
    num_samples_coarse: int = 48
    num_samples_fine: int = 48
    ray_start: float = 2.25
    ray_end: float = 3.3
    box_warp: float = 1.0
    plane_convention: str = "fixed"
    avg_camera_radius: float = 2.7
    avg_camera_pivot: tuple[float, float, float] = (0.0, 0.0, 0.2)
    # stage-2 super-resolution (GFPGANv1Clean, 224 -> bilinear align_corners=True 512 -> 512)
    sr_resolution: int = 512
    sr_narrow: float = 1.0               # GFPGAN channel narrowing (1 released; smaller only for unit tests)
    sr_noise_mode: str = "stored"        # upstream draws fresh noise per call ("random"); see gfpgan.py
    # face parsing (BiSeNet, 19 classes): labels masked out of the canonical input
    parsing_classes: int = 19

    @property
    def feature_resolution(self) -> int:
        return self.input_size // 4

    def to_dict(self) -> dict:
        return asdict(self)

    def validate(self) -> None:
        if self.plane_convention != "fixed":
            raise ValueError("GOHA was trained with the fixed plane axes (xy, xz, zy)")
        if self.lifting_resolution != self.feature_resolution:
            raise ValueError(f"lifting_resolution ({self.lifting_resolution}) must equal input_size/4 "
                             f"({self.feature_resolution}): one lifted point per appearance feature")
        if self.plane_resolution != 2 * self.lifting_resolution:
            raise ValueError("the IDUpsampler doubles the lifted planes: plane_resolution = 2 * lifting_resolution")
