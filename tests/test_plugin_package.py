"""A user's model as an installed plugin: a tiny distribution on sys.path declares it in the `talkbench.models`
entry-point group, and `talkbench run --model NAME` finds it by name (no monkeypatched entry points: the real
importlib.metadata discovery), with the same numbers as `--model package.module:Class`."""
from __future__ import annotations

from talkbench.cli import main
from talkbench.models.registry import MODELS
from talkbench.results.store import load_summary
from tests.protocol_fixtures import make_hdtf

PLUGIN = '''
import numpy as np
from talkbench.models.base import ModelInfo, TalkingHeadModel


class HalfBlend(TalkingHeadModel):
    info = ModelInfo("half-blend", "baseline", "a plugin: the mean of source and driving frame")
    needs = ("driving",)

    def prepare(self, source):
        return np.asarray(source[0], dtype=np.float64)

    def animate(self, state, driving=None, cameras=None, audio=None, gt=None):
        return [np.round(0.5 * d + 0.5 * state).astype(np.uint8) for d in driving]
'''


def _install(site):
    (site / "tbplugin").mkdir(parents=True)
    (site / "tbplugin" / "__init__.py").write_text(PLUGIN)
    dist = site / "tbplugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: tbplugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[talkbench.models]\nhalf-blend = tbplugin:HalfBlend\n")


def test_installed_plugin_runs_by_name_and_by_path(tmp_path, monkeypatch):
    _install(tmp_path / "site")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    for attr, value in (("_plugins_read", False), ("_targets", dict(MODELS._targets)), ("_loaded", {})):
        monkeypatch.setattr(MODELS, attr, value)
    data = make_hdtf(tmp_path / "hdtf", n_frames=3, size=32)
    values = {}
    for model in ("half-blend", "tbplugin:HalfBlend"):
        out = tmp_path / model.replace(":", "_")
        assert main(["run", "--protocol", "hdtf-same-id", "--data", str(data), "--model", model, "--out", str(out),
                     "--metrics", "psnr,l1", "--limit", "2", "--json"]) == 0
        summary = load_summary(out)
        values[model] = {k: m["value"] for k, m in summary["metrics"].items()}
    assert "half-blend" in MODELS.names()
    assert values["half-blend"] == values["tbplugin:HalfBlend"] and values["half-blend"]["psnr"] > 10
