"""Metric registry: validation, did-you-mean, entry-point plugins, cards for every metric."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from talkbench.errors import UnknownNameError
from talkbench.metrics import REGISTRY, MetricKind, get_metric
from talkbench.metrics.base import PairedFrameMetric
from talkbench.metrics.card import MetricCard
from talkbench.metrics.registry import MetricRegistry


def test_core_metrics_listed_with_cards():
    names = REGISTRY.names()
    for n in ["psnr", "ssim", "l1", "mse", "synthesis_quality", "nvs_quality", "nvv", "ivv"]:
        assert n in names
    for card in REGISTRY.cards():
        assert card.version and card.unit is not None and card.kind in MetricKind
        assert card.name in names


def test_did_you_mean():
    with pytest.raises(UnknownNameError, match="Did you mean: ssim"):
        get_metric("ssmi")


class _Dummy(PairedFrameMetric):
    card = MetricCard(name="dummy", version="1", higher_is_better=True, range=(0, 1), unit="", kind=MetricKind.PAIRED_FRAME,
                      inputs=("pred_frames", "gt_frames"), preprocessing="none", description="test")

    def score_frames(self, pred, gt, mask):
        return pred.flatten(1).mean(1).double()


def test_validation_unique_and_base_class():
    reg = MetricRegistry()
    reg.register("dummy", _Dummy)
    with pytest.raises(ValueError, match="already registered"):
        reg.register("dummy", _Dummy)
    with pytest.raises(TypeError, match="subclass"):
        reg.register("notametric", dict)


def test_entry_point_plugin(monkeypatch):
    import talkbench.metrics.registry as regmod

    ep = SimpleNamespace(name="plugin_metric", value=f"{__name__}:_Dummy")
    monkeypatch.setattr(regmod, "entry_points", lambda group: [ep] if group == "talkbench.metrics" else [])
    reg = MetricRegistry()
    assert "plugin_metric" in reg.names()
    m = reg.create("plugin_metric")
    assert isinstance(m, _Dummy) and m.instance_card.name == "plugin_metric"


def test_variant_presets_are_fixed():
    m = get_metric("psnr_masked")
    assert m.options["region"] == "composite-white" and m.instance_card.name == "psnr_masked"
    with pytest.raises(ValueError, match="fixes options"):
        get_metric("psnr_masked", region="full")
