"""Silent-lip stability: does the mouth keep still while the audio is silent?

From the `mouth-audio` clip analysis (mouth opening from the mediapipe mesh and the audio RMS envelope,
both at 25 fps): a frame is silent when its envelope is below `silence_ratio` × the clip's peak envelope
(an energy voice-activity decision). silent_lip_motion = mean |Δ mouth opening| between consecutive
silent frames (mouth-opening units of the mesh, per frame). Lower is better; a clip with fewer than
`min_silent_frames` silent frames has no value (its reason is recorded).
"""
from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from ..analysis.clip import Clip
from .card import BackboneRef, MetricCard, MetricKind
from .syncnet_pipeline import item_audio_path, item_fps
from .temporal import ClipValue, TemporalMetric


def silent_motion(mouth: np.ndarray, envelope: np.ndarray, silence_ratio: float, min_silent: int) -> tuple[float, int] | str:
    m, e = np.asarray(mouth, dtype=np.float64), np.asarray(envelope, dtype=np.float64)
    n = min(len(m), len(e))
    m, e = m[:n], e[:n]
    peak = float(np.max(e)) if n else 0.0
    if peak <= 0:
        return "the audio is silent throughout: no speech to contrast with"
    silent = e < silence_ratio * peak
    pairs = silent[1:] & silent[:-1] & np.isfinite(m[1:]) & np.isfinite(m[:-1])
    if silent.sum() < min_silent or not pairs.any():
        return f"{int(silent.sum())} silent frames (below {silence_ratio} × the peak audio energy): need {min_silent}"
    return float(np.mean(np.abs(np.diff(m))[pairs])), int(silent.sum())


class SilentLipMotion(TemporalMetric):
    defaults: ClassVar[dict[str, Any]] = {"detector": "mediapipe", "silence_ratio": 0.1, "min_silent_frames": 5}
    card = MetricCard(
        name="silent_lip_motion", version="1.0", higher_is_better=False, range=(0.0, None), unit="opening/frame",
        kind=MetricKind.TEMPORAL, inputs=("pred video", "audio"),
        preprocessing="25 fps; mouth opening from the mediapipe mesh; audio RMS per 640-sample block; silent below 0.1 × peak",
        description="Mean absolute frame-to-frame change of the mouth opening over the audio's silent frames.",
        backbone=BackboneRef("mouth-audio"), aggregation="mean over clips", references=("THEval (silent-lip stability)",),
    )

    def clip_value(self, ctx) -> ClipValue | str:
        rec = ctx.analysis.run_clip(f"mouth-audio@{self.options['detector']}", Clip(ctx.pred, item_fps(ctx), item_audio_path(ctx)))
        if not rec.ok:
            return rec.missing
        out = silent_motion(rec["mouth"], rec["envelope"], float(self.options["silence_ratio"]),
                            int(self.options["min_silent_frames"]))
        if isinstance(out, str):
            return out
        value, n_silent = out
        return ClipValue(value, len(rec["mouth"]), {"silent_frames": n_silent})
