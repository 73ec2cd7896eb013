"""Mouth / eye region metrics: crop geometry by hand, differences inside vs outside the crop, missing landmarks."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from talkbench.analysis.records import FrameRecord
from talkbench.io.frameset import FrameSet
from talkbench.metrics.context import ItemContext
from talkbench.metrics.region import crop, region_box
from talkbench.metrics.registry import get_metric


def _landmarks(eye_y=40.0, mouth_y=80.0) -> np.ndarray:
    """68 points: eye centres at (40, eye_y) and (80, eye_y) (IOD 40), mouth points centred at (60, mouth_y)."""
    p = np.zeros((68, 2))
    p[36:42] = [40.0, eye_y]
    p[42:48] = [80.0, eye_y]
    p[48:68] = [60.0, mouth_y]
    p[48:58, 0] += np.linspace(-10, 10, 10)  # spread that keeps the mean
    p[58:68, 0] -= np.linspace(-10, 10, 10)
    return p


class StubAnalysis:
    def __init__(self, records):
        self.records = records

    def run(self, name, frames):
        return self.records


def test_boxes_by_hand():
    assert region_box(_landmarks(), "mouth") == pytest.approx((60.0, 80.0, 48.0, 48.0))
    assert region_box(_landmarks(), "eyes") == pytest.approx((60.0, 40.0, 80.0, 32.0))


def test_crop_of_a_ramp_samples_the_box():
    # image value = column index / 127; landmarks are continuous coordinates (pixel i spans [i, i+1)), so a
    # 16 px box centred at x = 61 covers pixels 53–68 and 16 output columns sample exactly their centres
    ramp = torch.arange(128, dtype=torch.float64).repeat(3, 128, 1)[None] / 127
    out = crop(ramp, [(61.0, 64.0, 16.0, 16.0)], (16, 16))
    assert out[0, 0, 0].numpy() * 127 == pytest.approx(np.arange(53, 69), abs=1e-9)


def _ctx(pred, gt, records):
    return ItemContext("item", pred=FrameSet(pred), gt=FrameSet(gt), analysis=StubAnalysis(records))


def test_difference_outside_the_mouth_is_not_counted_inside_is():
    gt = np.full((128, 128, 3), 100, np.uint8)
    outside = gt.copy()
    outside[:40] = 200  # above the mouth box (rows 56–104)
    inside = gt.copy()
    inside[55:105, 35:85] = 110  # the mouth box (rows, cols 56–104 / 36–84) and the pixel its edge samples blend with
    recs = [FrameRecord(value={"points": _landmarks()})]
    m = get_metric("l1_mouth")
    assert m.update_item(_ctx([outside], [gt], recs)).value == 0.0
    assert get_metric("psnr_mouth").update_item(_ctx([outside], [gt], recs)).value == math.inf
    assert get_metric("l1_mouth").update_item(_ctx([inside], [gt], recs)).value == pytest.approx(10 / 255, abs=1e-12)
    # the eye box (rows 24–56) sees the band above the mouth
    assert get_metric("l1_eyes").update_item(_ctx([outside], [gt], recs)).value > 0.0


def test_reference_without_landmarks_is_a_missing_frame():
    gt = np.full((64, 64, 3), 100, np.uint8)
    recs = [FrameRecord(value={"points": _landmarks(20, 40)}), FrameRecord.missing_because("no face detected (stub)")]
    score = get_metric("ssim_mouth").update_item(_ctx([gt, gt], [gt, gt], recs))
    assert score.n_frames == 1 and score.missing_frames == [("frame_000001", "reference frame: no face detected (stub)")]


def test_card_names_the_base_and_the_crop():
    card = get_metric("psnr_mouth").instance_card
    assert card.higher_is_better is True and card.unit == "dB" and "mouth box 1.2×1.2 IOD" in card.preprocessing
