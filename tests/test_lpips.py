"""LPIPS: hand-computed formula, identical images, the package's real linear heads, the metric API."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from talkbench.errors import MissingWeightsError
from talkbench.nets.lpips import (
    SCALE, SHIFT, LinearHeads, LPIPSNetwork, ScalingLayer, layer_terms,
)
from talkbench.weights.store import load_into, load_verified_state_dict
from talkbench.io.frameset import FrameSet
from talkbench.metrics.context import ItemContext
from talkbench.metrics.lpips import LPIPS
from talkbench.metrics.registry import REGISTRY
from talkbench.analysis.stage import FrameAnalysis
from talkbench.nets.pool import POOL
from tests.checkpoint_manifests import manifest


def test_layer_terms_by_hand():
    # one layer, 2 channels, 1×2 pixels; heads w = (1, 2)
    heads = LinearHeads((2,))
    with torch.no_grad():
        heads.lin0.model[1].weight.copy_(torch.tensor([1.0, 2.0]).view(1, 2, 1, 1))
    f0 = torch.tensor([[[[3.0, 1.0]], [[4.0, 0.0]]]])  # pixel a: (3,4) → (0.6,0.8); pixel b: (1,0)
    f1 = torch.tensor([[[[0.0, 0.0]], [[2.0, 5.0]]]])  # pixel a: (0,1);             pixel b: (0,1)
    # pixel a: 1·0.36 + 2·0.04 = 0.44; pixel b: 1·1 + 2·1 = 3; spatial mean = 1.72
    got = layer_terms([f0], [f1], heads.eval())
    assert got.shape == (1, 1) and got.item() == pytest.approx(1.72, abs=1e-6)


def test_scaling_layer_constants():
    x = torch.zeros(1, 3, 1, 1)
    expected = torch.tensor([-s / c for s, c in zip(SHIFT, SCALE)]).view(1, 3, 1, 1)
    assert torch.allclose(ScalingLayer()(x), expected)
    assert SHIFT == (-0.030, -0.088, -0.188) and SCALE == (0.458, 0.448, 0.450)


def _random_network(net="alex", seed=0):
    torch.manual_seed(seed)
    model = LPIPSNetwork(net)
    with torch.no_grad():
        for k in range(5):
            model.heads[k].model[1].weight.uniform_(0.0, 1.0)  # official heads are non-negative
    return model.eval()


def test_network_equals_formula_on_trunk_features():
    model = _random_network()
    g = torch.Generator().manual_seed(1)
    x0, x1 = torch.rand(2, 3, 64, 64, generator=g) * 2 - 1, torch.rand(2, 3, 64, 64, generator=g) * 2 - 1
    with torch.no_grad():
        got = model(x0, x1).double().numpy()
        f0 = [f.double().numpy() for f in model.trunk.tap_features(model.scaling(x0))]
        f1 = [f.double().numpy() for f in model.trunk.tap_features(model.scaling(x1))]
    expected = np.zeros(2)
    for k, (a, b) in enumerate(zip(f0, f1)):
        w = model.heads[k].model[1].weight.detach().double().numpy().reshape(-1)
        na = a / (np.sqrt((a ** 2).sum(1, keepdims=True)) + 1e-10)
        nb = b / (np.sqrt((b ** 2).sum(1, keepdims=True)) + 1e-10)
        expected += np.einsum("nchw,c->nhw", (na - nb) ** 2, w).mean(axis=(1, 2))
    assert np.allclose(got, expected, rtol=1e-5, atol=1e-7)


def test_identical_images_score_zero_and_distance_is_symmetric():
    model = _random_network()
    x = torch.rand(1, 3, 64, 64) * 2 - 1
    y = torch.rand(1, 3, 64, 64) * 2 - 1
    with torch.no_grad():
        assert model(x, x).item() == 0.0
        assert model(x, y).item() == pytest.approx(model(y, x).item(), rel=1e-6)
        assert model(x, y).item() > 0


@pytest.mark.parametrize("net,name", [("alex", "lpips_v0.1_alex"), ("vgg", "lpips_v0.1_vgg")])
def test_heads_are_the_lpips_package_files(net, name):
    model = LPIPSNetwork(net)
    load_into(model.heads, load_verified_state_dict(name))  # sha256 of the installed file = manifest
    stats = manifest(name)["weight_stats"]
    for key, w in model.heads.state_dict().items():
        assert float(w.sum()) == pytest.approx(stats[key]["sum"], rel=1e-6)
        assert float(w.min()) >= 0.0


def test_metric_maps_unit_range_to_minus_one_one():
    model = _random_network(seed=3)
    metric = LPIPS()
    metric.use_analysis(FrameAnalysis(None))
    g = torch.Generator().manual_seed(2)
    pred, gt = torch.rand(3, 3, 64, 64, generator=g), torch.rand(3, 3, 64, 64, generator=g)
    with POOL.injected("lpips-alex-v0.1", model):
        vals = metric.update(pred, gt)
        with torch.no_grad():
            assert torch.allclose(vals, model(pred * 2 - 1, gt * 2 - 1).double())
        one_by_one = LPIPS()
        one_by_one.use_analysis(FrameAnalysis(None))
        for i in range(3):
            one_by_one.update(pred[i:i + 1], gt[i:i + 1])
    assert one_by_one.compute().value == pytest.approx(metric.compute().value, rel=1e-6)
    card = metric.instance_card
    assert card.backbone.weights_sha256 == "random-init-test+random-init-test"
    assert card.options == {"net": "alex", "reference": "gt"}


def test_update_item_on_identical_frames_is_zero(rng):
    frames = [rng.integers(0, 256, (64, 64, 3), dtype=np.uint8) for _ in range(2)]
    with POOL.injected("lpips-alex-v0.1", _random_network()):
        score = LPIPS().update_item(ItemContext("i", pred=FrameSet(frames), gt=FrameSet([f.copy() for f in frames]),
                                                analysis=FrameAnalysis(None)))
    assert score.value == 0.0 and score.n_frames == 2


def test_missing_trunk_weights_raise(monkeypatch, tmp_path, rng):
    monkeypatch.setenv("TALKBENCH_HOME", str(tmp_path))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    frames = [rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)]
    with pytest.raises(MissingWeightsError, match="alexnet-owt-7be5be79.pth") as exc:
        REGISTRY.create("lpips").update_item(ItemContext("i", pred=FrameSet(frames), gt=FrameSet(frames),
                                                         analysis=FrameAnalysis(None)))
    assert "talkbench weights import" in exc.value.reason


def test_registered_variants_and_cards():
    assert REGISTRY.create("lpips_vgg").options["net"] == "vgg"
    card = REGISTRY.card("lpips")
    assert card.backbone.id == "lpips-alex-v0.1"
    assert card.backbone.weights_sha256 == (manifest("alexnet-owt-7be5be79")["sha256"] + "+"
                                            + manifest("lpips_v0.1_alex")["sha256"])
