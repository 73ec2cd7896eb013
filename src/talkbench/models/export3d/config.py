"""Export3D hyper-parameters (seed 004). What the paper states is marked `paper`; the rest it leaves
to its (unavailable) supplementary material and is talkbench's choice, listed in docs/models.md.

Ablation switches reproduce the rows of Tables 3-4:
* `expression_encoder`: "clebs" (LeBS pre-trained with the contrastive loss, then frozen: Full),
  "e2e_lebs" (the same LeBS trained jointly with the generator, no pre-training: E2E LeBS, with
  `n_basis` 25 / 10 / 5), "direct" (fully-connected layers on the raw 3DMM expression: Direct 3DMM);
* `conditioning`: "eadaln" (Eq. 5) or "cross_attention" (Table 4's replacement).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace

EXPRESSION_ENCODERS = ("clebs", "e2e_lebs", "direct")
CONDITIONINGS = ("eadaln", "cross_attention")
PLANE_CONVENTIONS = ("fixed", "eg3d")
CONTRASTIVE_DENOMINATORS = ("negatives", "all")


@dataclass(frozen=True)
class Export3DConfig:
    # --- data (paper §4.1) ---
    image_size: int = 256                 # paper: H = W = 256
    expression_dim: int = 64              # paper: β ∈ R^64 (Deep3DFaceRecon)
    # --- CLeBS (paper §3.1) ---
    expression_encoder: str = "clebs"
    n_basis: int = 25                     # n (paper ablates 25/10/5 for E2E LeBS; Full's n not stated)
    basis_dim: int = 256                  # d (not stated)
    lebs_hidden: int = 256                # MLP β -> λ (not stated)
    image_encoder_channels: tuple[int, ...] = (64, 128, 256, 512)  # f_I, pre-training only (not stated)
    temperature: float = 0.07             # τ (not stated; CLIP's initial value)
    contrastive_denominator: str = "negatives"  # Eq. 1 sums over j ≠ k; "all" = InfoNCE with the positive
    # --- hybrid tri-plane generator (paper §3.2) ---
    conditioning: str = "eadaln"
    hidden_dim: int = 512                 # h (not stated): stem gives h/4 channels at H/8, tokens h at H/16
    num_heads: int = 8
    low_res_depth: int = 6                # EAdaLN-ViT blocks on the H/16 tokens (not stated)
    high_res_depth: int = 2               # EAdaLN-ViT blocks at H/8 after the pixel shuffle (not stated)
    high_res_sr_ratio: int = 2            # MiT key/value reduction at H/8 (not stated)
    mlp_ratio: float = 4.0
    lowpass_size: int = 5                 # Gaussian low-pass after each pixel shuffle (σ in pixels)
    lowpass_sigma: float = 1.0
    head_channels: int = 128              # conv head H/8 -> H/2 (not stated)
    triplane_channels: int = 32           # paper: 3 × 32 × H/2 × W/2
    triplane_ema_momentum: float = 0.999  # online EMA tri-plane added to the output (momentum not stated)
    # --- rendering and SR (paper §3.3, EG3D FFHQ settings) ---
    neural_rendering_resolution: int = 64  # paper: raw render at H/4
    num_samples_coarse: int = 48
    num_samples_fine: int = 48
    ray_start: float = 2.25
    ray_end: float = 3.3
    box_warp: float = 1.0
    plane_convention: str = "fixed"       # the paper names xy, yz, zx planes: true orthogonal planes
    decoder_hidden: int = 64
    sr_channels: tuple[int, ...] = (128, 64)  # plain conv SR blocks, one per 2× (H/4 -> H)
    # --- training (not stated in the paper; talkbench recipe) ---
    lr: float = 1e-4
    clebs_lr: float = 1e-4
    batch_size: int = 8
    clebs_batch_size: int = 16            # K frames of one video per contrastive batch
    steps: int = 200_000
    clebs_steps: int = 50_000
    loss_l1: float = 1.0
    loss_l1_raw: float = 1.0
    loss_lpips: float = 1.0

    def __post_init__(self):
        self.validate()

    def validate(self) -> None:
        checks = ((self.expression_encoder, EXPRESSION_ENCODERS, "expression_encoder"),
                  (self.conditioning, CONDITIONINGS, "conditioning"),
                  (self.plane_convention, PLANE_CONVENTIONS, "plane_convention"),
                  (self.contrastive_denominator, CONTRASTIVE_DENOMINATORS, "contrastive_denominator"))
        for value, allowed, name in checks:
            if value not in allowed:
                raise ValueError(f"{name} must be one of {allowed}, got {value!r}")
        if self.image_size % 16:
            raise ValueError(f"image_size must be a multiple of 16 (tokens at H/16), got {self.image_size}")
        if self.hidden_dim % 16 or self.hidden_dim % self.num_heads:
            raise ValueError("hidden_dim must be a multiple of 16 and of num_heads")
        if self.n_basis > self.basis_dim:
            raise ValueError(f"n_basis ({self.n_basis}) cannot exceed basis_dim ({self.basis_dim}): V is orthonormal")
        if self.image_size % self.neural_rendering_resolution:
            raise ValueError("image_size must be a multiple of neural_rendering_resolution")
        ratio = self.image_size // self.neural_rendering_resolution
        if ratio != 2 ** len(self.sr_channels):
            raise ValueError(f"sr_channels needs one block per 2× from {self.neural_rendering_resolution} to {self.image_size}")

    @property
    def triplane_resolution(self) -> int:
        return self.image_size // 2

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Export3DConfig":
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ValueError(f"unknown Export3D config key(s) {unknown}")
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})

    def with_options(self, **overrides) -> "Export3DConfig":
        return replace(self, **overrides)


PAPER = Export3DConfig()

#: a CPU-sized configuration for tests and the mini benchmark (same architecture, smaller numbers)
TINY = Export3DConfig(image_size=64, n_basis=8, basis_dim=32, lebs_hidden=32, image_encoder_channels=(16, 32, 32, 64),
                      hidden_dim=64, num_heads=2, low_res_depth=1, high_res_depth=1, head_channels=32,
                      triplane_channels=16, neural_rendering_resolution=16, num_samples_coarse=16, num_samples_fine=0,
                      decoder_hidden=32, sr_channels=(32, 16), lr=2e-3, clebs_lr=3e-3, batch_size=4,
                      clebs_batch_size=12, steps=300, clebs_steps=200, temperature=0.1, loss_lpips=0.0)

PRESETS = {"paper": PAPER, "tiny": TINY}
