"""The SyncNet scores shared by LSE-D and LSE-C (specs/metrics.md §4), from the `syncnet` clip analysis.

The analysis stage (talkbench.analysis.syncnet_windows) turns a clip into N window embeddings of the
lips (V) and the audio (A); here, for every offset k ∈ [−vshift, vshift], the mean over i of
‖V_i − A_{i+k} + 1e−6‖₂ with A zero-padded outside [0, N). LSE-D is the smallest of these 31 means,
LSE-C the median minus that minimum, and the AV offset is −argmin k (positive: the audio leads the
video). The network runs once per clip in the analysis stage, whose records both metrics read.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from ..analysis.clip import Clip
from ..analysis.syncnet_windows import MODES, WINDOW_FRAMES
from ..errors import InputError
from .card import BackboneRef, MetricCard
from .per_video import PerVideoMetric

PAIRWISE_EPS = 1e-6  # torch.nn.functional.pairwise_distance default


# -- scoring from embeddings ---------------------------------------------------------------------
@dataclass
class SyncResult:
    lse_d: float
    lse_c: float
    offset: int  # frames; > 0: audio leads the video
    curve: list[float]  # mean distance per offset k = −vshift … +vshift
    n_windows: int
    info: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def distance_curve(video_emb: np.ndarray, audio_emb: np.ndarray, vshift: int = 15) -> np.ndarray:
    """Mean over windows i of ‖V_i − A_{i+k} + eps‖₂ for k = −vshift … +vshift (A zero-padded), float64."""
    v = np.asarray(video_emb, dtype=np.float64)
    a = np.asarray(audio_emb, dtype=np.float64)
    if v.ndim != 2 or v.shape != a.shape:
        raise ValueError(f"video and audio embeddings must both be N×D, got {v.shape} and {a.shape}")
    n = v.shape[0]
    padded = np.concatenate([np.zeros((vshift, a.shape[1])), a, np.zeros((vshift, a.shape[1]))])
    curve = np.empty(2 * vshift + 1)
    for j in range(2 * vshift + 1):
        diff = v - padded[j:j + n] + PAIRWISE_EPS
        curve[j] = np.sqrt((diff * diff).sum(axis=1)).mean()
    return curve


def scores_from_curve(curve: np.ndarray, vshift: int) -> tuple[float, float, int]:
    """(LSE-D, LSE-C, AV offset) from the 2·vshift+1 offset means."""
    curve = np.asarray(curve, dtype=np.float64)
    j = int(np.argmin(curve))
    d = float(curve[j])
    return d, float(np.median(curve)) - d, vshift - j


def sync_scores(video_emb: np.ndarray, audio_emb: np.ndarray, vshift: int = 15) -> SyncResult:
    curve = distance_curve(video_emb, audio_emb, vshift)
    d, c, off = scores_from_curve(curve, vshift)
    return SyncResult(d, c, off, curve.tolist(), int(np.asarray(video_emb).shape[0]))


@dataclass(frozen=True)
class SyncConfig:
    mode: str = "track"
    vshift: int = 15
    batch_size: int = 20
    detector: str = "mediapipe"
    min_track: int = 100
    min_face_size: float = 100.0
    crop_scale: float = 0.40
    smooth_kernel: int = 13
    weights: str = "official"  # or "random-init" (plumbing only: never comparable)
    seed: int = 0

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"SyncNet preprocessing mode must be one of {MODES}, got {self.mode!r}")
        if self.weights not in ("official", "random-init"):
            raise ValueError(f"weights must be 'official' or 'random-init', got {self.weights!r}")

    def analysis_options(self) -> dict[str, Any]:
        """The options of the `syncnet` clip analysis (all but vshift, which only the scores use)."""
        return {k: v for k, v in asdict(self).items() if k != "vshift"}


def item_audio_path(ctx) -> Path:
    """The item's audio: ctx.audio when given, else the prediction's own file (a video with sound)."""
    if ctx.audio is not None:
        return Path(ctx.audio)
    origin = Path(ctx.pred.origin) if ctx.pred.origin else None
    if origin is None or not origin.is_file():
        raise InputError(ctx.pred.origin or None, f"item '{ctx.item_id}' has no audio",
                         "give the driving audio (a wav) or score a video that has its audio track")
    return origin


def item_fps(ctx) -> float | None:
    return ctx.fps or ctx.pred.fps


def item_result(ctx, cfg: SyncConfig) -> SyncResult | str:
    """SyncResult for the item from its `syncnet` analysis record, or the reason it cannot be scored."""
    audio_path = item_audio_path(ctx)
    rec = ctx.analysis.run_clip("syncnet", Clip(ctx.pred, item_fps(ctx), audio_path), **cfg.analysis_options())
    if not rec.ok:
        return rec.missing
    result = sync_scores(rec["video"], rec["audio"], cfg.vshift)
    result.info = dict(rec["info"])
    return result


# -- the metric base shared by lse_d.py and lse_c.py -----------------------------------------------
SYNCNET_WEIGHTS_ID = "syncnet_v2"


def syncnet_backbone(weights: str = "official") -> BackboneRef:
    from ..weights.store import get_weights_spec

    spec = get_weights_spec(SYNCNET_WEIGHTS_ID)
    if weights == "random-init":
        return BackboneRef(spec.backbone, "RANDOM-INIT (not comparable)", None)
    return BackboneRef(spec.backbone, spec.basename, spec.sha256)


SYNC_PREPROCESSING = (
    "video resampled to 25 fps (nearest frame) when needed; mode 'track': mediapipe face detection, largest-face "
    "track (IoU>0.5, gaps≤25 interpolated, >100 frames, mean side>100 px), box size/centre median-filtered (k=13), "
    "reference crop scale 0.40 on a 110-grey padded frame, resized 224×224; mode 'fullframe': whole frame resized "
    "224×224 (LRS script); BGR 0–255, 5-frame windows. Audio: 16 kHz mono int16 (libswresample), python_speech_"
    "features MFCC 13@100 Hz, 13×20 windows, 4 columns per frame. No shot detection, no JPEG/XVID re-encode."
)


class SyncNetMetric(PerVideoMetric):
    """One number per video from the shared SyncNet pipeline; subclasses pick `field` and their card."""

    defaults: ClassVar[dict[str, Any]] = {
        "mode": "track", "vshift": 15, "batch_size": 20, "detector": "mediapipe", "min_track": 100,
        "min_face_size": 100.0, "crop_scale": 0.40, "smooth_kernel": 13, "weights": "official", "seed": 0,
    }

    def validate_options(self) -> None:
        self.config = SyncConfig(**self.options)

    @property
    def instance_card(self) -> MetricCard:
        options = {k: v for k, v in self.options.items() if k != "batch_size"}  # batch size never changes a number
        return self.card.with_options(name=self.name, options=options, backbone=syncnet_backbone(self.config.weights))

    def item_result(self, ctx) -> SyncResult | str:
        return item_result(ctx, self.config)

    def item_frames(self, result: SyncResult) -> int:
        return result.n_windows + WINDOW_FRAMES - 1

    def item_extra(self, result: SyncResult) -> dict[str, Any]:
        extra = {"av_offset": result.offset, "lse_d": result.lse_d, "lse_c": result.lse_c, "n_windows": result.n_windows,
                 **{k: v for k, v in result.info.items() if k != "audio"}}
        if self.config.weights == "random-init":
            extra["not_comparable"] = "random-initialised SyncNet: plumbing check only"
        return extra


def require_weights_or_raise(cfg: SyncConfig) -> None:
    """Fail early (MissingWeightsError) when the official weights are needed and absent."""
    if cfg.weights == "official":
        from ..analysis.stage import default_analysis

        default_analysis().fingerprint("syncnet", **cfg.analysis_options())

