"""Talk3D settings: the released defaults (cvlab-kaist/Talk3D `talk3d_helper.TrainOptions`, `vive3D/eg3d_generator.py`,
`trainer.py`) and the sizes of the networks, which only reduced test configurations change."""
from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Talk3DConfig:
    # -- network sizes (the release: 32 channels per plane on 256² planes, 64-d tokens) ----------
    plane_channels: int = 32
    plane_resolution: int = 256
    token_dim: int = 64
    audio_dim: int = 44            # wav2vec2 XLSR-53 Esperanto CTC logits (DeepSpeech would be 29)
    audio_window: int = 16         # 50 fps logits per 25 fps frame window
    audio_sequence: int = 8        # windows smoothed by AudioAttNet (frames idx-4 … idx+3)
    # -- camera: VIVE3D's EG3D_Generator.set_camera_parameters(focal_length=3.6, cam_pivot=[0,0.05,0.2])
    focal_length: float = 3.6
    camera_pivot: tuple[float, float, float] = (0.0, 0.05, 0.2)
    camera_radius: float = 2.7
    # -- rendering (EG3D FFHQ, fixed plane axes: ffhq-fixed-triplane512-128.pkl) ---------------
    neural_rendering_resolution: int = 128
    num_samples_coarse: int = 48
    num_samples_fine: int = 48
    superresolution: str = "eg3d"  # "eg3d" (paper's tables) | "gfpgan" (demo.sh --use_GFPGAN)
    # -- training (TrainOptions defaults) -----------------------------------------------------------
    learning_rate: float = 5e-4
    learning_rate_tune: float = 2e-4
    scheduler_step_epochs: int = 2
    gamma: float = 0.98
    batch_size: int = 2
    image_loss_weight: float = 16.0
    lpips_loss_weight: float = 1.0
    id_loss_weight: float = 1.0
    mouth_loss_weight: float = 15.0
    sync_loss_weight: float = 0.01
    sync_loss_start_epoch: int = 20
    tuning_start_iter: int = 40000
    max_G_tuning_iter: int = 2000
    train_fraction: float = 10 / 11  # traintest_split_rate: the last 1/11 of the video is the test split
    lip_smoothing: float = 0.2       # inference --lip_smoothing: token = 0.2·previous + 0.8·current

    def to_dict(self) -> dict:
        return asdict(self)


RELEASED = Talk3DConfig()


def tiny_config(**overrides) -> Talk3DConfig:
    """A CPU-sized configuration for tests and `talkbench fit --option tiny=1` (not the released sizes)."""
    values = dict(plane_channels=8, plane_resolution=64, neural_rendering_resolution=32, num_samples_coarse=8,
                  num_samples_fine=8)
    values.update(overrides)
    return Talk3DConfig(**values)
