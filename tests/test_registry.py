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
    import talkbench.lazy as lazy

    ep = SimpleNamespace(name="plugin_metric", value=f"{__name__}:_Dummy")
    monkeypatch.setattr(lazy, "entry_points", lambda group: [ep] if group == "talkbench.metrics" else [])
    reg = MetricRegistry()
    assert "plugin_metric" in reg.names()
    m = reg.create("plugin_metric")
    assert isinstance(m, _Dummy) and m.instance_card.name == "plugin_metric"


def test_variant_presets_are_fixed():
    m = get_metric("psnr_masked")
    assert m.options["region"] == "composite-white" and m.instance_card.name == "psnr_masked"
    with pytest.raises(ValueError, match="fixes options"):
        get_metric("psnr_masked", region="full")


# -- the one lazy registry type behind every name table -------------------------------------------
def test_lazy_registry_imports_on_first_use_and_suggests_names(monkeypatch):
    import sys

    from talkbench.lazy import Registry

    monkeypatch.delitem(sys.modules, "colorsys", raising=False)
    reg = Registry("colour space", {"hls": "colorsys:rgb_to_hls", "hsv": "colorsys:rgb_to_hsv"})
    assert reg.names() == ["hls", "hsv"] and "colorsys" not in sys.modules
    assert reg.create("hsv", 1.0, 0.0, 0.0) == (0.0, 1.0, 1.0)
    with pytest.raises(UnknownNameError, match="unknown colour space 'hvs'. Did you mean: hsv"):
        reg.load("hvs")
    with pytest.raises(UnknownNameError):
        reg.load("colorsys:rgb_to_yiq")  # direct targets only where the registry allows them


def test_lazy_registry_entry_points_direct_targets_and_checks(monkeypatch):
    import talkbench.lazy as lazy

    ep = SimpleNamespace(name="plugin", value="fractions:Fraction")
    monkeypatch.setattr(lazy, "entry_points", lambda group: [ep] if group == "talkbench.numbers" else [])
    reg = lazy.Registry("number type", {"builtin": "decimal:Decimal"}, group="talkbench.numbers",
                        check=lazy.subclass_check(object), direct=True)
    assert reg.names() == ["builtin", "plugin"]
    assert reg.create("plugin", 3, 6) == 0.5
    assert reg.load("numbers:Integral").__name__ == "Integral"
    not_a_class = lazy.Registry("number type", {"pi": "math:pi"}, check=lazy.subclass_check(int, "number type"))
    with pytest.raises(TypeError, match="number type 'pi' must be a subclass of builtins.int"):
        not_a_class.load("pi")
    reg["builtin"] = "fractions:Fraction"  # replacing a target drops the cached object
    assert reg.load("builtin").__name__ == "Fraction"
    with pytest.raises(ValueError, match="already registered"):
        reg.register("builtin", "decimal:Decimal")


def test_every_name_table_is_a_lazy_registry():
    from talkbench.faces.detection import DETECTORS
    from talkbench.faces.landmarks import LANDMARKERS
    from talkbench.lazy import Registry
    from talkbench.models.registry import MODELS
    from talkbench.protocols.datasets import ADAPTERS
    from talkbench.protocols.executors import EXECUTORS

    for table in (DETECTORS, LANDMARKERS, MODELS, ADAPTERS, EXECUTORS, REGISTRY._classes):
        assert isinstance(table, Registry)
    assert MODELS.group == "talkbench.models" and REGISTRY._classes.group == "talkbench.metrics"


def test_a_users_model_plugs_in_by_entry_point_or_by_path(monkeypatch):
    import talkbench.lazy as lazy
    from talkbench.models.registry import MODELS, get_model_class, model_target

    from .protocol_fixtures import BlendModel

    ep = SimpleNamespace(name="my-blend", value="tests.protocol_fixtures:BlendModel")
    monkeypatch.setattr(lazy, "entry_points", lambda group: [ep] if group == "talkbench.models" else [])
    monkeypatch.setattr(MODELS, "_plugins_read", False)
    monkeypatch.setattr(MODELS, "_targets", dict(MODELS._targets))
    monkeypatch.setattr(MODELS, "_loaded", {})
    assert get_model_class("my-blend") is BlendModel and "my-blend" in MODELS.names()
    assert get_model_class("tests.protocol_fixtures:BlendModel") is BlendModel
    assert model_target("tests.protocol_fixtures:BlendModel") == "tests.protocol_fixtures:BlendModel"
    with pytest.raises(TypeError, match="must be a subclass of talkbench.models.base.TalkingHeadModel"):
        get_model_class("tests.protocol_fixtures:clip_frames")
    with pytest.raises(UnknownNameError, match="package.module:Class"):
        get_model_class("no-such-model")


def test_ls_metrics_works_without_the_dlib_models(monkeypatch, capsys):
    """The dlib cards name the catalogued sha256; listing them never opens the model files."""
    from talkbench.cli import main
    from talkbench.faces import dlib_models

    def absent(*args, **kwargs):
        raise dlib_models.DlibUnavailable("face-recognition-models (dlib's model files)")

    monkeypatch.setattr(dlib_models, "model_path", absent)
    assert main(["ls", "metrics", "--json"]) == 0
    assert "55533b28a95800a551ba546ba62fe69625c7e95a7061c338adffead08719da30" in capsys.readouterr().out
