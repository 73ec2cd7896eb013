"""LSE-C: lip-sync confidence, the median minus the minimum of the per-offset mean SyncNet distances.

Per video: with d_k the mean lip/audio embedding distance at offset k ∈ [−15, 15], LSE-C =
median_k d_k − min_k d_k (syncnet_python's "Confidence"); averaged over videos. Higher is better.
The pipeline, shared with LSE-D so the network runs once per video, is in syncnet_pipeline.py.
"""
from __future__ import annotations

from .card import MetricCard, MetricKind
from .syncnet_pipeline import SYNC_PREPROCESSING, SyncNetMetric, syncnet_backbone


class LSEC(SyncNetMetric):
    field = "lse_c"
    card = MetricCard(
        name="lse_c", version="1.0", higher_is_better=True, range=(0.0, None), unit="SyncNet L2 distance",
        kind=MetricKind.AUDIO_VISUAL, inputs=("pred video", "audio"), preprocessing=SYNC_PREPROCESSING,
        description="median minus minimum over offsets −vshift…+vshift of the mean L2 distance between SyncNet lip "
        "and audio embeddings; per video, mean over videos",
        backbone=syncnet_backbone(), aggregation="mean over videos",
        references=("joonson/syncnet_python SyncNetInstance.evaluate", "Rudrabha/Wav2Lip evaluation/scores_LSE"),
    )
