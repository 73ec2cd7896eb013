"""The analysis stage: one network load per backbone per process, one Inception pass per frame for FID + KID,
per-clip array cache files, stand-in networks through the backbone pool, the analyser table."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from talkbench.analysis.cache import ClipCache, pack, unpack
from talkbench.analysis.records import FrameRecord
from talkbench.analysis.registry import ANALYSERS, make_analyser
from talkbench.analysis.stage import FrameAnalysis
from talkbench.errors import UnknownNameError
from talkbench.io.frameset import FrameSet
from talkbench.metrics.context import ItemContext
from talkbench.metrics.registry import get_metric
from talkbench.nets import pool as pool_module
from talkbench.nets.alexnet import AlexNet
from talkbench.nets.inception_fid import FIDInceptionV3
from talkbench.nets.pool import POOL, BackbonePool


def _random(module, seed):
    torch.manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.uniform_(-0.05, 0.05)
    return module


def _official_files(tmp_path, monkeypatch):
    """Random-initialised Inception and AlexNet saved in the official layouts, found as if installed."""
    from talkbench.io.hashing import sha256_file
    from talkbench.weights import store

    files = {}
    for wid, net in (("pt_inception", _random(FIDInceptionV3(), 1)), ("alexnet", _random(AlexNet(classifier=False), 2))):
        path = tmp_path / f"{wid}.pth"
        torch.save({k: v for k, v in sorted(net.state_dict().items())}, path)
        files[wid] = store.VerifiedFile(path, sha256_file(path))
    real = store.verified_weights
    monkeypatch.setattr(store, "verified_weights", lambda wid: files[wid] if wid in files else real(wid))
    return files


def test_four_item_run_loads_each_network_once_and_fid_kid_share_one_inception_pass(tmp_path, monkeypatch):
    from talkbench.models import registry
    from talkbench.protocols.api import run
    from tests.protocol_fixtures import HDTF_TEST_CLIPS, make_hdtf

    torch.set_num_threads(1)
    monkeypatch.setenv("TALKBENCH_HOME", str(tmp_path / "home"))
    monkeypatch.setitem(registry.MODELS, "test-blend", "tests.protocol_fixtures:BlendModel")
    monkeypatch.setattr(pool_module, "POOL", BackbonePool())  # a fresh process, as far as networks go
    _official_files(tmp_path, monkeypatch)
    rows = []
    forward = FIDInceptionV3.forward
    monkeypatch.setattr(FIDInceptionV3, "forward", lambda self, x: rows.append(len(x)) or forward(self, x))

    hdtf = make_hdtf(tmp_path / "hdtf", n_frames=2, size=32, clips=HDTF_TEST_CLIPS[:4])  # the first 4 items' clips
    summary = run("hdtf-same-id", data=hdtf, out=tmp_path / "out", model="test-blend", metrics=["lpips", "fid", "kid"],
                  limit=4)

    assert summary["counts"]["evaluated"] == 4
    assert dict(pool_module.POOL.loads) == {"lpips-alex-v0.1": 1, "inception-v3-fid": 1}
    # 4 items × (1 generated + 1 ground-truth frame), each through Inception once for FID and KID together
    assert sum(rows) == 8
    assert summary["metrics"]["kid"]["extra"]["n_real"] == 4 and summary["metrics"]["kid"]["extra"]["n_fake"] == 4
    assert summary["metrics"]["lpips"]["value"] > 0


def _lpips(seed):
    from talkbench.nets.lpips import LPIPSNetwork

    net = _random(LPIPSNetwork("alex"), seed)
    with torch.no_grad():
        for k in range(5):
            net.heads[k].model[1].weight.abs_()
    return net


def test_stand_in_networks_go_through_the_pool_and_never_share_cache_keys(rng):
    frames = [rng.integers(0, 256, (64, 64, 3), dtype=np.uint8) for _ in range(2)]
    refs = [rng.integers(0, 256, (64, 64, 3), dtype=np.uint8) for _ in range(2)]
    analysis = FrameAnalysis(None)
    with POOL.injected("lpips-alex-v0.1", _lpips(3)) as a:
        first = analysis.run_pairs("lpips:alex", frames, refs)
        fp_a = analysis.fingerprint("lpips:alex")
    assert fp_a["weights_sha256"] == "random-init-test" and fp_a["instance_sha256"] == a.instance_sha256
    other = FrameAnalysis(None)
    with POOL.injected("lpips-alex-v0.1", _lpips(4)):
        second = other.run_pairs("lpips:alex", frames, refs)
        assert other.fingerprint("lpips:alex")["instance_sha256"] != fp_a["instance_sha256"]
    assert first[0]["distance"] != second[0]["distance"]
    assert POOL.injected_for("lpips-alex-v0.1") is None  # the stand-in is gone after the block


def test_pair_records_equal_the_network_and_are_cached_in_one_file_per_clip(tmp_path, rng):
    net = _lpips(5)
    frames = [rng.integers(0, 256, (64, 72, 3), dtype=np.uint8) for _ in range(3)]
    refs = [rng.integers(0, 256, (64, 72, 3), dtype=np.uint8) for _ in range(3)]
    with POOL.injected("lpips-alex-v0.1", net):
        analysis = FrameAnalysis(tmp_path)
        recs = analysis.run_pairs("lpips:alex", FrameSet(frames), FrameSet(refs))
        with torch.no_grad():
            expected = net(FrameSet(frames).tensor(dtype=torch.float64).float() * 2 - 1,
                           FrameSet(refs).tensor(dtype=torch.float64).float() * 2 - 1).double().numpy()
        assert [r["distance"] for r in recs] == pytest.approx(expected.tolist(), rel=1e-6)
        files = list(tmp_path.rglob("*.npz"))
        assert len(files) == 1 and files[0].parent.parent.name == "lpips_alex"  # one file for the 3 pairs
        fresh = FrameAnalysis(tmp_path)
        again = fresh.run_pairs("lpips:alex", FrameSet(frames), FrameSet(refs))
    assert fresh.stats == {"computed": 0, "disk_hits": 3, "memory_hits": 0}
    assert [r["distance"] for r in again] == [r["distance"] for r in recs]


def test_record_files_round_trip_and_a_damaged_file_is_recomputed(tmp_path):
    recs = [FrameRecord(value={"points": np.arange(6.0).reshape(3, 2), "faces": [{"x0": 1.5, "points5": None}],
                               "corr": float("nan"), "info": {"mode": "track", "n": 3}}),
            FrameRecord.missing_because("no face detected (blazeface)")]
    back = unpack(__import__("io").BytesIO(pack(recs)))
    assert np.array_equal(back[0]["points"], recs[0]["points"]) and back[0]["faces"] == recs[0]["faces"]
    assert np.isnan(back[0]["corr"]) and back[0]["info"] == {"mode": "track", "n": 3}
    assert back[1].missing == "no face detected (blazeface)"
    cache = ClipCache(tmp_path)
    cache.put("x", ["k1", "k2"], recs)
    assert cache.get("x", ["k1", "k2"]) is not None and cache.get("x", ["k2", "k1"]) is None
    path = next(tmp_path.rglob("*.npz"))
    path.write_bytes(b"not a zip")
    assert cache.get("x", ["k1", "k2"]) is None


def test_one_table_of_analysers():
    assert {"faces", "landmarks", "pose", "identity", "deep3d", "mouth", "inception", "lpips", "syncnet",
            "mouth-audio"} <= set(ANALYSERS)
    assert make_analyser("lpips:vgg").name == "lpips:vgg" and make_analyser("mouth").needs == "landmarks:mediapipe-478@mediapipe"
    assert make_analyser("syncnet", mode="fullframe").needs is None
    assert make_analyser("syncnet").needs == "faces:mediapipe"
    for bad in ("nosuch:thing", "pose:other", "identity:unknown-net", "lpips"):
        with pytest.raises((UnknownNameError, ValueError)):
            make_analyser(bad)


def test_missing_weights_stay_a_per_item_error(tmp_path, monkeypatch, rng):
    from talkbench.errors import MissingWeightsError

    monkeypatch.setenv("TALKBENCH_HOME", str(tmp_path))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setattr(pool_module, "POOL", BackbonePool())
    frames = FrameSet([rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)] * 2)
    for name in ("fid", "kid"):
        with pytest.raises(MissingWeightsError, match="pt_inception"):
            get_metric(name).update_item(ItemContext("i", pred=frames, gt=frames, analysis=FrameAnalysis(None)))
    assert not pool_module.POOL.loads


def test_memory_holds_a_bounded_number_of_bytes(rng):
    frames = [rng.integers(0, 256, (64, 64, 3), dtype=np.uint8) for _ in range(4)]
    refs = [rng.integers(0, 256, (64, 64, 3), dtype=np.uint8) for _ in range(4)]
    analysis = FrameAnalysis(None, memory_bytes=2 * 300)  # room for two small records
    with POOL.injected("lpips-alex-v0.1", _lpips(6)):
        analysis.run_pairs("lpips:alex", frames, refs)
        assert len(analysis._memory) == 2
        analysis.run_pairs("lpips:alex", frames[2:], refs[2:])  # the two most recent are still held
        assert analysis.stats["memory_hits"] == 2 and analysis.stats["computed"] == 4
