"""Released hyper-parameters of Real3D-Portrait's `secc2plane_torso_orig` checkpoint (seed-models.md §2.2)."""
from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass
class Real3DPortraitConfig:
    # image-to-plane (I2P), img2plane_backbone_mode 'composite', scale 'standard'
    i2p_input_channels: int = 5          # rgb + 2 pixel-coordinate channels (img2plane_input_mode 'rgb')
    i2p_vit_blocks: int = 5              # LowResolutionViT blocks ('standard'; small 2, large 10)
    i2p_predictor_blocks: int = 1        # TriplanePredictorViT blocks
    triplane_hid_dim: int = 32           # channels per plane; 3 planes -> 96 (triplane_depth 1)
    # motion adapter
    secc_segformer_scale: str = "b0"
    pncc_cond_mode: str = "cano_src_tgt"  # 9-channel input
    phase1_plane_fusion_mode: str = "add"
    # rendering (EG3D conventions, original plane axes)
    neural_rendering_resolution: int = 128
    final_resolution: int = 512
    num_samples_coarse: int = 48
    num_samples_fine: int = 48
    ray_near: float | str = "auto"
    ray_far: float | str = "auto"
    box_warp: float = 1.0
    plane_convention: str = "eg3d"
    avg_camera_radius: float = 2.7
    avg_camera_pivot: tuple[float, float, float] = (0.0, 0.0, 0.2)
    # super-resolution (HTB-SR)
    w_dim: int = 512
    num_ws: int = 14
    sr_antialias: bool = True
    sr_noise_mode: str = "none"
    htbsr_head_weight_fuse_mode: str = "v2"
    htbsr_head_threshold: float = 0.9
    torso_model_version: str = "v2"
    torso_inp_mode: str = "rgb_alpha"    # 5-channel torso input
    torso_kp_num: int = 4

    @property
    def plane_channels(self) -> int:
        return 3 * self.triplane_hid_dim

    @property
    def pncc_channels(self) -> int:
        return 9 if self.pncc_cond_mode == "cano_src_tgt" else 6

    def to_dict(self) -> dict:
        return asdict(self)

    def validate(self) -> None:
        if self.htbsr_head_weight_fuse_mode != "v2" or self.torso_model_version != "v2":
            raise ValueError("only the released configuration (HTB-SR fuse v2, torso model v2) is implemented")
        if self.phase1_plane_fusion_mode != "add":
            raise ValueError("only phase1_plane_fusion_mode='add' is implemented")
