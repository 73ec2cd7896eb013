"""CSIM: cosine similarity of identity embeddings of the generated frame and its reference.

Pair modes: `gt-vs-generated` (self-reenactment: frame i vs GT frame i) and `source-vs-generated`
(cross-identity: every generated frame vs the source image). Backbones (each a separately
registered name, so a leaderboard never mixes them in one column): buffalo_l (default), antelopev2,
arcface-iresnet100, ir-se50, and the offline dlib-resnet descriptor.
"""
from __future__ import annotations

import numpy as np

from .card import MetricCard, MetricKind
from .face_backbones import IDENTITY_BACKBONES, pick
from .face_pair import FacePairMetric


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


class CSIM(FacePairMetric):
    card = MetricCard(
        name="csim", version="1.0", higher_is_better=True, range=(-1.0, 1.0), unit="cosine",
        kind=MetricKind.PAIRED_FRAME, inputs=("pred_frames", "gt_frames | source_image"),
        preprocessing="largest face; five points from the backbone's detector; ArcFace 112×112 similarity warp "
        "(insightface template, border 0); per-backbone normalisation (see backbone); dlib-resnet uses dlib's 150×150 chip",
        aggregation="mean over frames where both images have a face; other frames are reported missing",
        description="Cosine similarity of identity embeddings, e·e'/(|e||e'|), per frame.",
        references=("insightface arcface_dst / norm_crop", "bilayer losses/csim.py", "OTAvatar issue #27"),
    )
    defaults = {"pair": "gt-vs-generated", "backbone": "buffalo_l"}
    allowed_pairs = ("gt-vs-generated", "source-vs-generated", "driving-vs-generated")

    def validate_options(self) -> None:
        super().validate_options()
        pick(IDENTITY_BACKBONES, self.options["backbone"], "csim")

    def analysis_name(self) -> str:
        return IDENTITY_BACKBONES[self.options["backbone"]].analysis

    def backbone_ref(self):
        return IDENTITY_BACKBONES[self.options["backbone"]].ref()

    def pair_value(self, pred, ref, pred_frame, ref_frame) -> float:
        return cosine(pred["embedding"], ref["embedding"])
