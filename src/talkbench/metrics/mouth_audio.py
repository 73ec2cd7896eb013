"""`mouth-audio`: an offline lip-sync check that needs no SyncNet weights. NOT LSE-C / LSE-D.

Per video (resampled to 25 fps like the SyncNet pipeline): the mouth opening per frame from the
mediapipe face mesh and the audio energy envelope (RMS of each 640-sample block of the 16 kHz mono
track, one per frame), both from the `mouth-audio` clip analysis (talkbench.analysis.mouth). For
every offset k ∈ [−vshift, vshift] the Pearson correlation r_k between opening_i and envelope_{i+k}
is taken over the frames where both exist. Reported:
- mouth_audio_offset: −argmax_k r_k, in frames, with the SyncNet sign convention (positive: the audio
  leads the video; a clip whose audio was delayed by 3 frames reads −3);
- mouth_audio_corr: max_k r_k (higher means the mouth follows the audio more closely).
These numbers have their own card and backbone id and never fill the LSE columns.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from ..analysis.clip import Clip
from ..analysis.mouth import energy_envelope
from .card import BackboneRef, MetricCard, MetricKind
from .per_video import PerVideoMetric
from .syncnet_pipeline import item_audio_path, item_fps

BACKBONE_ID = "mouth-audio"


class MouthAudioTooShort(ValueError):
    """Too few frames with a mouth measurement; the message is the missing reason."""


@dataclass
class MouthAudioResult:
    offset: int
    corr: float
    confidence: float  # max − median of the correlation curve
    curve: list[float]  # r_k for k = −vshift … +vshift (NaN where too few pairs)
    n_frames: int
    n_mouth_frames: int
    info: dict[str, Any] = field(default_factory=dict)


def _is_constant(centred: np.ndarray, series: np.ndarray, rel: float = 1e-9) -> bool:
    """True when a centred window varies by no more than float rounding relative to the series' scale."""
    scale = float(np.nanmax(np.abs(series))) if np.isfinite(series).any() else 0.0
    return float(np.abs(centred).max(initial=0.0)) <= rel * max(scale, 1e-300)


def lagged_correlation(mouth: np.ndarray, envelope: np.ndarray, vshift: int = 15, min_pairs: int = 10) -> np.ndarray:
    """r_k = Pearson(mouth_i, envelope_{i+k}) over valid pairs, k = −vshift … +vshift."""
    m = np.asarray(mouth, dtype=np.float64)
    e = np.asarray(envelope, dtype=np.float64)
    curve = np.full(2 * vshift + 1, np.nan)
    for j, k in enumerate(range(-vshift, vshift + 1)):
        i0, i1 = max(0, -k), min(len(m), len(e) - k)
        if i1 - i0 < min_pairs:
            continue
        a, b = m[i0:i1], e[i0 + k:i1 + k]
        ok = np.isfinite(a) & np.isfinite(b)
        if ok.sum() < min_pairs:
            continue
        a, b = a[ok] - a[ok].mean(), b[ok] - b[ok].mean()
        if _is_constant(a, m) or _is_constant(b, e):  # r is undefined, not 0: rounding noise is no signal
            continue
        denom = np.sqrt((a * a).sum() * (b * b).sum())
        curve[j] = float((a * b).sum() / denom)
    return curve


def analyse(mouth: np.ndarray, envelope: np.ndarray, vshift: int = 15, min_frames: int = 40) -> MouthAudioResult:
    """Offset and correlation from a mouth-opening series and an energy envelope (both one value per frame)."""
    n_mouth = int(np.isfinite(mouth).sum())
    if n_mouth < min_frames:
        raise MouthAudioTooShort(f"too short for the mouth-audio check: {n_mouth} frames with a measured mouth "
                                 f"(of {len(mouth)}); at least {min_frames} are needed")
    curve = lagged_correlation(mouth, envelope, vshift)
    if not np.isfinite(curve).any():
        raise MouthAudioTooShort("mouth-audio check: no offset has enough frames with both a mouth and audio, "
                                 "or the mouth or the audio never changes")
    j = int(np.nanargmax(curve))
    best = float(curve[j])
    return MouthAudioResult(offset=vshift - j, corr=best, confidence=best - float(np.nanmedian(curve)),
                            curve=[float(c) for c in curve], n_frames=len(mouth), n_mouth_frames=n_mouth)


def series_result(record, vshift: int = 15, min_frames: int = 40) -> MouthAudioResult:
    """The result from a `mouth-audio` clip analysis record (mouth opening and audio envelope at 25 fps)."""
    mouth, envelope = np.asarray(record["mouth"]), np.asarray(record["envelope"])
    if len(mouth) < min_frames:
        raise MouthAudioTooShort(f"too short for the mouth-audio check: {len(mouth)} frames at 25 fps; at least "
                                 f"{min_frames} are needed")
    result = analyse(mouth, envelope, vshift, min_frames)
    result.info = dict(record["info"])
    return result


def mouth_audio_backbone(detector: str = "mediapipe") -> BackboneRef:
    from ..faces.mouth import mouth_backbone_ids

    ids, sha = mouth_backbone_ids(detector)
    return BackboneRef(BACKBONE_ID, f"{ids} (tflite files in the mediapipe wheel)", sha)


_PREPROCESSING = ("video resampled to 25 fps (nearest frame) when needed; largest face (mediapipe BlazeFace), "
                  "478-point face mesh; opening = |v14 − v13| / |v291 − v61|; audio 16 kHz mono int16 "
                  "(libswresample), RMS per 640-sample block (one per frame)")


class MouthAudioMetric(PerVideoMetric):
    defaults: ClassVar[dict[str, Any]] = {"vshift": 15, "min_frames": 40, "detector": "mediapipe"}

    @property
    def instance_card(self) -> MetricCard:
        return self.card.with_options(name=self.name, options=dict(self.options),
                                      backbone=mouth_audio_backbone(self.options["detector"]))

    def item_result(self, ctx) -> MouthAudioResult | str:
        clip = Clip(ctx.pred, item_fps(ctx), item_audio_path(ctx))
        rec = ctx.analysis.run_clip(f"mouth-audio@{self.options['detector']}", clip)
        if not rec.ok:
            return rec.missing
        try:
            return series_result(rec, int(self.options["vshift"]), int(self.options["min_frames"]))
        except MouthAudioTooShort as exc:
            return str(exc)

    def item_frames(self, result: MouthAudioResult) -> int:
        return result.n_mouth_frames

    def item_extra(self, result: MouthAudioResult) -> dict[str, Any]:
        return {"av_offset": result.offset, "corr": result.corr, "confidence": result.confidence,
                "backbone": BACKBONE_ID, "not_lse": True, **result.info}


def _card(name: str, higher: bool | None, rng: tuple, unit: str, description: str) -> MetricCard:
    return MetricCard(name=name, version="1.0", higher_is_better=higher, range=rng, unit=unit,
                      kind=MetricKind.AUDIO_VISUAL, inputs=("pred video", "audio"), preprocessing=_PREPROCESSING,
                      description=description + " Offline check with its own backbone; not LSE-C/LSE-D.",
                      backbone=BackboneRef(BACKBONE_ID), aggregation="mean over videos")


class MouthAudioOffset(MouthAudioMetric):
    field = "offset"
    card = _card("mouth_audio_offset", None, (-15.0, 15.0), "frames (25 fps)",
                 "AV offset maximising the correlation between mouth opening and audio energy (positive: audio leads).")


class MouthAudioCorr(MouthAudioMetric):
    field = "corr"
    card = _card("mouth_audio_corr", True, (-1.0, 1.0), "Pearson r",
                 "Largest correlation over offsets ±vshift between mouth opening and audio energy envelope.")


__all__ = ["MouthAudioOffset", "MouthAudioCorr", "analyse", "series_result", "energy_envelope", "lagged_correlation",
           "MouthAudioResult"]
