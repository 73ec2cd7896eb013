"""LSE-D: lip-sync error distance, the smallest mean SyncNet distance over audio offsets (Wav2Lip protocol).

Per video: the minimum over k ∈ [−15, 15] of the mean ‖V_i − A_{i+k}‖₂ between lip and audio
embeddings (syncnet_python's "Min dist"); averaged over videos. Lower is better. The pipeline,
shared with LSE-C so the network runs once per video, is in syncnet_pipeline.py.
"""
from __future__ import annotations

from .card import MetricCard, MetricKind
from .syncnet_pipeline import SYNC_PREPROCESSING, SyncNetMetric, syncnet_backbone


class LSED(SyncNetMetric):
    field = "lse_d"
    card = MetricCard(
        name="lse_d", version="1.0", higher_is_better=False, range=(0.0, None), unit="SyncNet L2 distance",
        kind=MetricKind.AUDIO_VISUAL, inputs=("pred video", "audio"), preprocessing=SYNC_PREPROCESSING,
        description="min over offsets −vshift…+vshift of the mean L2 distance between SyncNet lip and audio "
        "embeddings (zero-padded audio at the borders); per video, mean over videos",
        backbone=syncnet_backbone(), aggregation="mean over videos",
        references=("joonson/syncnet_python SyncNetInstance.evaluate", "Rudrabha/Wav2Lip evaluation/scores_LSE"),
    )
