"""FVD: the I3D network's layout and TF "SAME" padding by hand, a random-initialised I3D in the official
layout through the real loader, FVD of a clip set against itself, short clips as reasons, missing weights."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from talkbench.analysis.stage import FrameAnalysis
from talkbench.analysis.video_features import windows
from talkbench.errors import MissingWeightsError
from talkbench.io.frameset import FrameSet
from talkbench.metrics.context import ItemContext
from talkbench.metrics.registry import get_metric
from talkbench.nets.i3d import I3D, load_i3d, same_padding
from talkbench.nets.pool import POOL
from talkbench.weights import catalog
from talkbench.weights.store import file_sha256, get_weights_spec, install_path


def test_same_padding_by_hand():
    # TF "SAME": total = k − s when the size divides by the stride, else k − (size mod s); extra pixel after
    assert same_padding((16, 224, 224), (7, 7, 7), (2, 2, 2)) == (2, 3, 2, 3, 2, 3)
    assert same_padding((15, 9, 9), (3, 3, 3), (2, 2, 2)) == (1, 1, 1, 1, 1, 1)
    assert same_padding((8, 56, 56), (1, 3, 3), (1, 2, 2)) == (0, 1, 0, 1, 0, 0)


def test_layout_and_size():
    net = I3D()
    sd = net.state_dict()
    assert len(sd) == 344 and sum(p.numel() for p in net.parameters()) == 12_697_264
    assert tuple(sd["Conv3d_1a_7x7.conv3d.weight"].shape) == (64, 3, 7, 7, 7)
    assert tuple(sd["Mixed_5c.b1b.conv3d.weight"].shape) == (384, 192, 3, 3, 3)
    assert tuple(sd["logits.conv3d.weight"].shape) == (400, 1024, 1, 1, 1) and "logits.conv3d.bias" in sd
    assert not any(k.startswith("logits.bn") for k in sd)


@pytest.fixture(scope="module")
def random_i3d():
    torch.manual_seed(0)
    return I3D().eval()


def _clip(seed: int, n: int = 16, size: int = 64) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 256, (size, size, 3))
    return [np.clip(base + rng.integers(-20, 21, base.shape) + 3 * k, 0, 255).astype(np.uint8) for k in range(n)]


def test_random_init_in_the_official_layout_loads_through_the_catalog(tmp_path, monkeypatch, random_i3d):
    monkeypatch.setenv("TALKBENCH_HOME", str(tmp_path))
    spec = get_weights_spec("i3d_kinetics400")
    path = install_path(spec)
    path.parent.mkdir(parents=True)
    torch.save({k: v for k, v in random_i3d.state_dict().items() if not k.endswith("num_batches_tracked")}, path)
    monkeypatch.setattr(catalog, "SPECS", tuple(dataclasses.replace(s, sha256=file_sha256(path)) if s.id == spec.id else s
                                                for s in catalog.SPECS))
    net = load_i3d(str(path), file_sha256(path))
    x = torch.stack(windows(_clip(0)))
    with torch.no_grad():
        assert torch.equal(net(x), random_i3d(x))


def test_fvd_of_a_set_against_itself_is_zero_and_short_clips_are_reasons(random_i3d):
    with POOL.injected("i3d-kinetics400", random_i3d):
        analysis = FrameAnalysis(None)
        m = get_metric("fvd")
        for seed in range(3):
            frames = _clip(seed, n=32)  # two windows each
            score = m.update_item(ItemContext(f"c{seed}", pred=FrameSet(frames), gt=FrameSet(frames), analysis=analysis))
            assert score.extra["windows"] == 2
        value = m.compute()
        assert value.extra["n_fake_windows"] == 6 and abs(value.value) <= 1e-6
        short = m.update_item(ItemContext("s", pred=FrameSet(_clip(9, n=10)), gt=FrameSet(_clip(9, n=10)), analysis=analysis))
        assert short.value is None and "16-frame window" in short.extra["missing_reason"]


def test_missing_weights_are_a_reason_not_a_zero(tmp_path, monkeypatch):
    monkeypatch.setenv("TALKBENCH_HOME", str(tmp_path))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    ctx = ItemContext("c", pred=FrameSet(_clip(0)), gt=FrameSet(_clip(0)), analysis=FrameAnalysis(None))
    with pytest.raises(MissingWeightsError, match="rgb_imagenet.pt"):
        get_metric("fvd").update_item(ctx)
