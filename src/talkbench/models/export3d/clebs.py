"""CLeBS (seed 004 §3.1): the expression encoders and the contrastive objective of Eq. 1.

* `LearnedBasisScaling` (LeBS, f_e): β (64) -> λ (n) by an MLP, then β' = V λ (Eq. 3) with V (d × n)
  the Q factor of a learned d × n weight (QR decomposition), so VᵀV = I exactly (Eq. 2).
* `DirectExpression`: the "Direct 3DMM" ablation, fully-connected layers β -> β' without a basis.
* `ImageEncoder` (f_I): used only by the contrastive pre-training.
* `contrastive_loss`: Eq. 1 over K aligned (image, expression) pairs of one video.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from .config import Export3DConfig
from .layers import DownBlock


class ExpressionStandardiser(nn.Module):
    """β -> (β − mean) / std per coefficient, with the training data's statistics (buffers saved in
    checkpoints; identity until `set_statistics`)."""

    def __init__(self, expression_dim: int = 64):
        super().__init__()
        self.register_buffer("mean", torch.zeros(expression_dim))
        self.register_buffer("std", torch.ones(expression_dim))

    @torch.no_grad()
    def set_statistics(self, expressions: torch.Tensor, floor: float = 1e-3) -> None:
        self.mean.copy_(expressions.mean(0))
        self.std.copy_(expressions.std(0).clamp_min(floor))

    def forward(self, expression: torch.Tensor) -> torch.Tensor:
        return (expression - self.mean) / self.std


class LearnedBasisScaling(nn.Module):
    def __init__(self, expression_dim: int = 64, n_basis: int = 25, basis_dim: int = 256, hidden: int = 256):
        super().__init__()
        self.standardise = ExpressionStandardiser(expression_dim)
        self.coefficients = nn.Sequential(nn.Linear(expression_dim, hidden), nn.LeakyReLU(0.2),
                                          nn.Linear(hidden, hidden), nn.LeakyReLU(0.2), nn.Linear(hidden, n_basis))
        self.basis_weight = nn.Parameter(torch.randn(basis_dim, n_basis))

    def basis(self) -> torch.Tensor:
        """V (d × n) with orthonormal columns: the Q of the reduced QR of the learned weight."""
        q, r = torch.linalg.qr(self.basis_weight, mode="reduced")
        # fix the sign ambiguity of QR (diag(R) > 0) so that V is a continuous function of the weight
        return q * torch.sign(torch.diagonal(r)).where(torch.diagonal(r) != 0, torch.ones_like(torch.diagonal(r)))

    def scales(self, expression: torch.Tensor) -> torch.Tensor:
        """λ (B, n)."""
        return self.coefficients(self.standardise(expression))

    def components(self, expression: torch.Tensor) -> torch.Tensor:
        """(B, n, d): λ_i v_i, whose sum over i is β' (the cross-attention variant attends to them)."""
        return self.scales(expression)[..., None] * self.basis().T[None]

    def forward(self, expression: torch.Tensor) -> torch.Tensor:
        """β (B, 64) -> β' = Σ λ_i v_i (B, d)."""
        return self.scales(expression) @ self.basis().T


class DirectExpression(nn.Module):
    """Direct 3DMM (Table 3): fully-connected layers from β to the conditioning vector."""

    def __init__(self, expression_dim: int = 64, out_dim: int = 256, hidden: int = 256):
        super().__init__()
        self.standardise = ExpressionStandardiser(expression_dim)
        self.net = nn.Sequential(nn.Linear(expression_dim, hidden), nn.LeakyReLU(0.2), nn.Linear(hidden, hidden),
                                 nn.LeakyReLU(0.2), nn.Linear(hidden, out_dim))

    def components(self, expression: torch.Tensor) -> torch.Tensor:
        return self(expression)[:, None]

    def forward(self, expression: torch.Tensor) -> torch.Tensor:
        return self.net(self.standardise(expression))


def build_expression_encoder(cfg: Export3DConfig) -> nn.Module:
    if cfg.expression_encoder == "direct":
        return DirectExpression(cfg.expression_dim, cfg.basis_dim, cfg.lebs_hidden)
    return LearnedBasisScaling(cfg.expression_dim, cfg.n_basis, cfg.basis_dim, cfg.lebs_hidden)


class ImageEncoder(nn.Module):
    """f_I: residual strided conv blocks with batch normalisation, global average pooling, linear to d.

    A contrastive batch holds frames of one video, so the batch statistics are the video's: batch
    normalisation takes out what all its frames share (the appearance) and keeps what differs."""

    def __init__(self, channels: tuple[int, ...] = (64, 128, 256, 512), out_dim: int = 256):
        super().__init__()
        self.stem = nn.Conv2d(3, channels[0], 3, 1, 1)
        self.blocks = nn.ModuleList(DownBlock(a, b) for a, b in zip(channels[:1] + channels[:-1], channels))
        self.norms = nn.ModuleList(nn.BatchNorm2d(c) for c in channels)
        self.head = nn.Linear(channels[-1], out_dim)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) in [-1, 1] -> (B, d)."""
        x = self.stem(image)
        for block, norm in zip(self.blocks, self.norms):
            x = norm(block(x))
        return self.head(F.leaky_relu(x, 0.2).mean(dim=(2, 3)))


def contrastive_loss(image_features: torch.Tensor, expression_features: torch.Tensor, temperature: float,
                     denominator: str = "negatives") -> torch.Tensor:
    """Eq. 1 averaged over the K anchors k of one video:

        L_k = -log( exp(cos(f_I(X_k), f_e(β_k))/τ) / Σ_{j≠k} exp(cos(f_I(X_j), f_e(β_k))/τ) )

    `denominator="negatives"` is the equation as printed (the positive is not in the sum);
    "all" adds it (the usual InfoNCE / CLIP form, always ≥ 0). Needs K ≥ 2.
    """
    k = image_features.shape[0]
    if k < 2:
        raise ValueError("the contrastive loss needs at least 2 frames of a video (one positive, one negative)")
    sim = F.normalize(image_features, dim=-1) @ F.normalize(expression_features, dim=-1).T / temperature  # [j, k]
    positive = torch.diagonal(sim)
    if denominator == "negatives":
        mask = torch.eye(k, dtype=torch.bool, device=sim.device)
        denom = torch.logsumexp(sim.masked_fill(mask, float("-inf")), dim=0)
    elif denominator == "all":
        denom = torch.logsumexp(sim, dim=0)
    else:
        raise ValueError(f"denominator must be 'negatives' or 'all', got {denominator!r}")
    return (denom - positive).mean()


class CLeBSPretrainer(nn.Module):
    """f_e and f_I together, as the pre-training optimises them."""

    def __init__(self, cfg: Export3DConfig):
        super().__init__()
        self.cfg = cfg
        self.expression_encoder = LearnedBasisScaling(cfg.expression_dim, cfg.n_basis, cfg.basis_dim, cfg.lebs_hidden)
        self.image_encoder = ImageEncoder(cfg.image_encoder_channels, cfg.basis_dim)

    def forward(self, images: torch.Tensor, expressions: torch.Tensor) -> torch.Tensor:
        return contrastive_loss(self.image_encoder(images), self.expression_encoder(expressions),
                                self.cfg.temperature, self.cfg.contrastive_denominator)
