"""The per-video SyncNet pipeline shared by LSE-D and LSE-C (specs/metrics.md §4).

frames (resampled to 25 fps if needed) → face crops (`track`: detector + largest-face track + smoothed
reference crop; `fullframe`: whole frame resized to 224, the LRS script) → 5-frame BGR 0–255 windows;
audio → 16 kHz mono int16 → MFCC (13 × 100 Hz) → 13×20 windows at 4 columns per frame; embeddings of
windows i = 0 … N−1 with N = min(#frames, ⌊#samples/640⌋) − 5; for every offset k ∈ [−vshift, vshift]
the mean over i of ‖V_i − A_{i+k} + 1e−6‖₂ with A zero-padded outside [0, N). LSE-D is the smallest of
these 31 means, LSE-C the median minus that minimum, and the AV offset is −argmin k (positive: the audio
leads the video). The network runs once per video: results are cached in ItemContext.meta and in a
small in-process cache keyed by the input files' identity and the options.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol, Sequence

import numpy as np
import torch

from ..errors import InputError
from .card import BackboneRef, MetricCard
from .per_video import PerVideoMetric, cached_analysis, file_identity

SYNC_FPS = 25.0
SAMPLES_PER_FRAME = 640  # 16000 / 25
MFCC_PER_FRAME = 4
WINDOW_FRAMES = 5
MFCC_WINDOW = 20
PAIRWISE_EPS = 1e-6  # torch.nn.functional.pairwise_distance default
MODES = ("track", "fullframe")


class TooShortError(ValueError):
    """The clip yields no complete 5-frame window; the message is the per-item missing reason."""


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


# -- windows -------------------------------------------------------------------------------------
def n_windows(n_frames: int, n_samples: int) -> int:
    """Number of 5-frame windows the reference scores: min(#frames, ⌊#samples/640⌋) − 5."""
    return min(n_frames, n_samples // SAMPLES_PER_FRAME) - WINDOW_FRAMES


def audio_windows(mfcc_cols: np.ndarray, start: int, stop: int) -> torch.Tensor:
    """(stop−start)×1×13×20 MFCC windows for video frames start … stop−1 (mfcc_cols is 13×T)."""
    wins = [mfcc_cols[:, MFCC_PER_FRAME * i:MFCC_PER_FRAME * i + MFCC_WINDOW] for i in range(start, stop)]
    return torch.from_numpy(np.stack(wins)[:, None].astype(np.float32))


def video_windows(crops_bgr: Sequence[np.ndarray], start: int, stop: int) -> torch.Tensor:
    """(stop−start)×3×5×224×224 float windows of BGR 0–255 crops for frames start … stop−1."""
    frames = np.stack(crops_bgr[start:stop + WINDOW_FRAMES - 1]).astype(np.float32)  # T×H×W×3
    clip = torch.from_numpy(frames).permute(3, 0, 1, 2)  # 3×T×H×W
    return torch.stack([clip[:, i:i + WINDOW_FRAMES] for i in range(stop - start)])


class Embedder(Protocol):
    def embed_video(self, windows: torch.Tensor) -> np.ndarray: ...
    def embed_audio(self, windows: torch.Tensor) -> np.ndarray: ...


class SyncNetEmbedder:
    """Runs a loaded SyncNet without gradients."""

    def __init__(self, loaded):
        self.loaded = loaded

    @torch.inference_mode()
    def embed_video(self, windows: torch.Tensor) -> np.ndarray:
        return self.loaded.net.forward_lip(windows).double().numpy()

    @torch.inference_mode()
    def embed_audio(self, windows: torch.Tensor) -> np.ndarray:
        return self.loaded.net.forward_audio(windows).double().numpy()


def embed_windows(embedder: Embedder, crops_bgr: Sequence[np.ndarray], mfcc_cols: np.ndarray, n: int,
                  batch_size: int = 20) -> tuple[np.ndarray, np.ndarray]:
    vid, aud = [], []
    for start in range(0, n, batch_size):
        stop = min(start + batch_size, n)
        vid.append(embedder.embed_video(video_windows(crops_bgr, start, stop)))
        aud.append(embedder.embed_audio(audio_windows(mfcc_cols, start, stop)))
    return np.concatenate(vid), np.concatenate(aud)


# -- frame preparation ---------------------------------------------------------------------------
def resample_indices(n_frames: int, src_fps: float, dst_fps: float = SYNC_FPS) -> np.ndarray:
    """Source frame index for each output frame at dst_fps (nearest in time, like ffmpeg -r)."""
    n_out = int(round(n_frames * dst_fps / src_fps))
    idx = np.floor(np.arange(n_out) * src_fps / dst_fps + 0.5).astype(np.int64)
    return np.clip(idx, 0, n_frames - 1)


def fullframe_crops(frames_rgb: Sequence[np.ndarray], size: int = 224) -> list[np.ndarray]:
    import cv2

    return [cv2.resize(np.ascontiguousarray(f[:, :, ::-1]), (size, size)) for f in frames_rgb]


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


def face_crops(frames_rgb: Sequence[np.ndarray], cfg: SyncConfig, analysis=None) -> tuple[list[np.ndarray], int, dict]:
    """BGR 224×224 crops, the index of the first frame they cover, and what was done (for the record)."""
    if cfg.mode == "fullframe":
        return fullframe_crops(frames_rgb), 0, {"crop": "whole frame resized to 224×224"}
    from ..faces.tracking import TrackConfig, detect_faces, main_track, track_crops

    tcfg = TrackConfig(min_track=cfg.min_track, min_face_size=cfg.min_face_size, smooth_kernel=cfg.smooth_kernel,
                       crop_scale=cfg.crop_scale)
    track = main_track(detect_faces(frames_rgb, cfg.detector, analysis), tcfg)
    bgr = [np.ascontiguousarray(f[:, :, ::-1]) for f in frames_rgb]
    info = {"crop": f"track crop scale {cfg.crop_scale}", "detector": cfg.detector, "track_start": track.start,
            "track_frames": len(track), "interpolated_frames": int((~track.detected).sum())}
    return track_crops(bgr, track, tcfg), track.start, info


def score_clip(frames_rgb: Sequence[np.ndarray], fps: float | None, audio: np.ndarray, cfg: SyncConfig,
               embedder: Embedder, analysis=None) -> SyncResult:
    """LSE for one clip: uint8 RGB frames at `fps`, 16 kHz mono int16 audio aligned to the first frame."""
    from ..nets.mfcc import mfcc

    info: dict[str, Any] = {"mode": cfg.mode, "source_fps": fps, "resampled_to_25fps": False}
    frames = list(frames_rgb)
    if fps is not None and abs(fps - SYNC_FPS) > 1e-3:
        frames = [frames[i] for i in resample_indices(len(frames), fps, SYNC_FPS)]
        info["resampled_to_25fps"] = True
    info["frames_25fps"] = len(frames)
    if n_windows(len(frames), len(audio)) < 1:
        raise TooShortError(_short_reason(len(frames), len(audio)))
    crops, first, crop_info = face_crops(frames, cfg, analysis)
    info.update(crop_info)
    clip_audio = np.asarray(audio)[first * SAMPLES_PER_FRAME:(first + len(crops)) * SAMPLES_PER_FRAME]
    n = n_windows(len(crops), len(clip_audio))
    if n < 1:
        raise TooShortError(_short_reason(len(crops), len(clip_audio)))
    cols = mfcc(clip_audio).T  # 13×T
    vid, aud = embed_windows(embedder, crops, cols, n, cfg.batch_size)
    result = sync_scores(vid, aud, cfg.vshift)
    result.info = info
    return result


def _short_reason(n_frames: int, n_samples: int) -> str:
    return (f"too short for SyncNet: {n_frames} frames at 25 fps and {n_samples / 16000:.2f} s of audio give "
            f"{max(n_windows(n_frames, n_samples), 0)} windows; at least {WINDOW_FRAMES + 1} frames (and as much "
            "audio) are needed")


# -- embedders and the per-item result ------------------------------------------------------------
_EMBEDDERS: dict[tuple[str, int], SyncNetEmbedder] = {}


def get_embedder(cfg: SyncConfig) -> SyncNetEmbedder:
    """The loaded network for these options (MissingWeightsError when the official file is absent)."""
    from ..nets.syncnet import load_syncnet, random_syncnet

    key = (cfg.weights, cfg.seed if cfg.weights == "random-init" else 0)
    if key not in _EMBEDDERS:
        _EMBEDDERS[key] = SyncNetEmbedder(random_syncnet(cfg.seed) if cfg.weights == "random-init" else load_syncnet())
    return _EMBEDDERS[key]


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
    """SyncResult for the item, or the reason it cannot be scored; computed once per item and options."""
    from ..faces.tracking import NoTrackError
    from ..io.audio import read_audio

    embedder = get_embedder(cfg)
    audio_path = item_audio_path(ctx)

    def compute() -> SyncResult:
        audio = read_audio(audio_path)
        result = score_clip(ctx.pred.arrays, item_fps(ctx), audio.samples, cfg, embedder, ctx.analysis)
        result.info["audio"] = audio.describe()
        return result

    key = [file_identity(audio_path), asdict(cfg), embedder.loaded.weights_sha256, item_fps(ctx)]
    return cached_analysis(ctx, "syncnet", key, compute, missing=(TooShortError, NoTrackError, InputError))


# -- the metric base shared by lse_d.py and lse_c.py -----------------------------------------------
def syncnet_backbone(weights: str = "official") -> BackboneRef:
    from ..nets.syncnet import BACKBONE_ID, WEIGHTS_ID
    from ..weights.store import get_weights_spec

    if weights == "random-init":
        return BackboneRef(BACKBONE_ID, "RANDOM-INIT (not comparable)", None)
    spec = get_weights_spec(WEIGHTS_ID)
    return BackboneRef(BACKBONE_ID, spec.basename, spec.sha256)


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
        get_embedder(cfg)

