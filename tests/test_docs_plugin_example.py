"""The example model in docs/plugins.md is real: it is extracted, imported and run through a protocol."""
from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pytest

from talkbench.protocols.api import run
from tests.protocol_fixtures import make_hdtf

DOC = Path(__file__).resolve().parents[1] / "docs" / "plugins.md"


@pytest.fixture
def example_module(tmp_path, monkeypatch):
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    code = next(b for b in blocks if "class MeanShift" in b)
    assert len(code.strip().splitlines()) <= 35  # "a ~30-line example model"
    (tmp_path / "docplugin_models.py").write_text(code, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield sys.modules.get("docplugin_models")
    sys.modules.pop("docplugin_models", None)


def test_example_model_runs_a_protocol_from_a_checkpoint(example_module, tmp_path):
    from docplugin_models import MeanShift

    src = np.full((4, 4, 3), 100, np.uint8)
    drv = np.full((4, 4, 3), 110, np.uint8)
    out = MeanShift(gain=0.5).animate(MeanShift(gain=0.5).prepare([src]), driving=[drv])
    assert len(out) == 1 and out[0].dtype == np.uint8 and np.all(out[0] == 105)  # 100 + 0.5 × (110 − 100)

    data = make_hdtf(tmp_path / "hdtf", n_frames=3, size=32)
    np.savez(tmp_path / "v1.npz", gain=np.float64(0.8))
    # named as the docs say: --model package.module:Class
    s = run("hdtf-same-id", data=data, out=tmp_path / "run", model="docplugin_models:MeanShift", checkpoint=tmp_path / "v1.npz",
            metrics=["psnr"], limit=2)
    assert s["metrics"]["psnr"]["n"] == 2 and np.isfinite(s["metrics"]["psnr"]["value"])
    assert s["model"]["checkpoint"].endswith("v1.npz") and len(s["model"]["checkpoint_sha256"]) == 64
    assert "gain 0.8 is not the released setting" in s["comparable_reasons"]
