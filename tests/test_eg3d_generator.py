"""EG3D TriPlaneGenerator: G_ema key/shape/parameter parity, and safe reading of persistence pickles."""
from __future__ import annotations

import dataclasses
import pickle
import sys
import types

import pytest
import torch

from talkbench.errors import InputError
from talkbench.models.components.eg3d import EG3DConfig, TriPlaneGenerator, config_from_init_kwargs, load_generator
from talkbench.models.components.stylegan2 import SUPERRESOLUTION_SPECS, SuperresolutionHybrid
from talkbench.weights.pickle_reader import UnsafePickleError, read_pickle

from .checkpoint_manifests import manifest

torch.set_num_threads(1)

MARKER_ENV = "TALKBENCH_PICKLE_MARKER"


def test_full_generator_matches_released_g_ema_layout():
    m = manifest("eg3d_ffhq512-128_decoder_superresolution")
    g = TriPlaneGenerator()
    shapes = {k: list(v.shape) for k, v in g.state_dict().items()}
    assert shapes == m["full_G_ema_state_dict"]
    assert len(shapes) == 176
    counts = {name: sum(p.numel() for p in child.parameters()) for name, child in g.named_children()}
    released = {k: v for k, v in m["param_counts"]["G_ema_top_level"].items() if v}  # renderer, ray_sampler: 0
    assert {k: v for k, v in counts.items() if v} == released
    assert sum(counts.values()) == m["param_counts"]["G_ema_total"] == 30_662_136
    sr = m["param_counts"]["superresolution"]
    assert sum(p.numel() for p in g.superresolution.block0.parameters()) == sr["block0"]
    assert sum(p.numel() for p in g.backbone.mapping.parameters()) == 800_768
    assert g.num_ws == 14


@pytest.mark.parametrize("kind, out_res, block0_res", [("hybrid2x", 128, 64), ("hybrid4x", 256, 128),
                                                       ("hybrid8x", 512, 256), ("hybrid8xdc", 512, 256)])
def test_superresolution_variants_have_eg3d_resolutions(kind, out_res, block0_res):
    sr = SuperresolutionHybrid(kind, channels=32)
    assert sr.block0.conv1.noise_const.shape[-1] == block0_res
    assert sr.block1.conv1.noise_const.shape[-1] == out_res
    assert SUPERRESOLUTION_SPECS[kind].output_resolution == out_res
    # 2X/4X: block0 has no upsampling (SynthesisBlockNoUp); 8X/8XDC: 2x up in block0
    assert sr.block0.up == (2 if "8x" in kind else 1)


def tiny_config(**kw) -> EG3DConfig:
    base = dict(channel_base=512, channel_max=8, superresolution="hybrid2x", sr_conv_clamp=None,
                neural_rendering_resolution=16, depth_resolution=6, depth_resolution_importance=6)
    base.update(kw)
    return EG3DConfig(**base)


def label(batch: int = 1) -> torch.Tensor:
    from talkbench.models.components.cameras import lookat_cam2world, normalized_intrinsics

    pose = torch.tensor(lookat_cam2world(torch.pi / 2, torch.pi / 2), dtype=torch.float32).reshape(16)
    k = torch.tensor(normalized_intrinsics(), dtype=torch.float32).reshape(9)
    return torch.cat([pose, k]).expand(batch, -1)


def test_mapping_truncation_and_planes_shape():
    torch.manual_seed(0)
    g = TriPlaneGenerator(tiny_config()).eval()
    z = torch.randn(2, 512)
    ws = g.mapping(z, label(2))
    assert ws.shape == (2, 14, 512)
    assert torch.allclose(ws[:, 0], ws[:, 13])
    g.backbone.mapping.w_avg.normal_()
    ws_t = g.mapping(z, label(2), truncation_psi=0.5, truncation_cutoff=8)
    assert torch.allclose(ws_t[:, :8], g.backbone.mapping.w_avg.lerp(ws[:, :8], 0.5), atol=1e-6)
    assert torch.equal(ws_t[:, 8:], ws[:, 8:])
    planes = g.planes(ws[:1])
    assert planes.shape == (1, 96, 256, 256)


def test_plane_conventions_differ_only_on_the_third_plane():
    torch.manual_seed(0)
    g = TriPlaneGenerator(tiny_config(depth_resolution_importance=0)).eval()
    g.renderer.options.deterministic = True
    planes = torch.zeros(1, 96, 256, 256)
    planes[:, 64:] = torch.randn(1, 32, 256, 256)  # only the third plane carries features
    ws = torch.zeros(1, 14, 512)
    out_eg3d = g.render(planes, ws, label(), superresolution=False)["image_raw"]
    fixed = TriPlaneGenerator(dataclasses.replace(g.config, plane_convention="fixed", depth_resolution_importance=0))
    fixed.load_state_dict(g.state_dict())
    fixed.renderer.options.deterministic = True
    out_fixed = fixed.render(planes, ws, label(), superresolution=False)["image_raw"]
    assert (out_eg3d - out_fixed).abs().max() > 1e-3
    planes[:, 64:] = 0
    a = g.render(planes, ws, label(), superresolution=False)["image_raw"]
    b = fixed.render(planes, ws, label(), superresolution=False)["image_raw"]
    assert torch.allclose(a, b)


# ---- persistence pickles --------------------------------------------------------------------------

def _persistence_module():
    """A stand-in `torch_utils.persistence` so the test can *write* the official layout."""
    mod = types.ModuleType("torch_utils.persistence")

    def _reconstruct_persistent_obj(meta):  # would exec meta['module_src'] upstream
        raise AssertionError("never called when reading")

    _reconstruct_persistent_obj.__module__ = "torch_utils.persistence"
    _reconstruct_persistent_obj.__qualname__ = "_reconstruct_persistent_obj"
    mod._reconstruct_persistent_obj = _reconstruct_persistent_obj
    return mod


PAYLOAD_SRC = "import os\nopen(os.environ['" + MARKER_ENV + "'], 'w').write('executed')\n"


class PersistencePickler(pickle.Pickler):
    """Pickles talkbench nn.Modules the way EG3D's persistence does (source code + __dict__ state)."""

    def __init__(self, f, reconstruct, init_kwargs):
        super().__init__(f, protocol=4)
        self.reconstruct, self.init_kwargs = reconstruct, init_kwargs

    def reducer_override(self, obj):
        cls = type(obj)
        if isinstance(obj, torch.nn.Module) and cls.__module__.startswith("talkbench"):
            state = dict(obj.__dict__)
            state.pop("config", None)
            if isinstance(obj, TriPlaneGenerator):
                state["_init_kwargs"] = self.init_kwargs
                state["neural_rendering_resolution"] = 16
            meta = dict(type="class", version=4, module_src=PAYLOAD_SRC, class_name=cls.__name__, state=state)
            return self.reconstruct, (meta,)
        if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            return dict, (dataclasses.asdict(obj),)
        return NotImplemented


INIT_KWARGS = {"z_dim": 512, "c_dim": 25, "w_dim": 512, "img_resolution": 128, "img_channels": 3,
               "channel_base": 512, "channel_max": 8, "sr_num_fp16_res": 0, "mapping_kwargs": {"num_layers": 2},
               "rendering_kwargs": {"superresolution_module": "training.superresolution.SuperresolutionHybrid2X",
                                    "depth_resolution": 6, "depth_resolution_importance": 6, "ray_start": 2.25,
                                    "ray_end": 3.3, "box_warp": 1, "sr_antialias": True, "c_scale": 1.0,
                                    "superresolution_noise_mode": "none", "decoder_lr_mul": 1.0}}


def write_persistence_pickle(path, g, monkeypatch):
    mod = _persistence_module()
    monkeypatch.setitem(sys.modules, "torch_utils", types.ModuleType("torch_utils"))
    monkeypatch.setitem(sys.modules, "torch_utils.persistence", mod)
    with open(path, "wb") as f:
        PersistencePickler(f, mod._reconstruct_persistent_obj, INIT_KWARGS).dump(
            {"G_ema": g, "G": g, "D": None, "augment_pipe": None, "training_set_kwargs": {"resolution": 512}})


def test_reads_persistence_pickle_without_running_its_code(tmp_path, monkeypatch):
    torch.manual_seed(1)
    g = TriPlaneGenerator(tiny_config()).eval()
    with torch.no_grad():
        for p in g.parameters():
            p.add_(0.01 * torch.randn_like(p))
    path = tmp_path / "ffhq-tiny.pkl"
    write_persistence_pickle(path, g, monkeypatch)
    marker = tmp_path / "executed.txt"
    monkeypatch.setenv(MARKER_ENV, str(marker))
    monkeypatch.delitem(sys.modules, "torch_utils.persistence")  # reading must not need it
    loaded = load_generator(path)
    assert not marker.exists()
    assert loaded.config == config_from_init_kwargs(INIT_KWARGS, 16)
    assert loaded.config.superresolution == "hybrid2x" and loaded.config.neural_rendering_resolution == 16
    for k, v in g.state_dict().items():
        assert torch.equal(loaded.state_dict()[k], v), k
    ws = g.mapping(torch.randn(1, 512, generator=torch.Generator().manual_seed(3)), label())
    gen = torch.Generator().manual_seed(5)
    ref = g.synthesis(ws, label(), generator=gen)
    out = loaded.synthesis(ws, label(), generator=torch.Generator().manual_seed(5))
    assert ref["image"].shape == (1, 3, 128, 128)
    assert torch.allclose(out["image"], ref["image"]) and torch.allclose(out["image_raw"], ref["image_raw"])
    fixed = load_generator(path, plane_convention="fixed", neural_rendering_resolution=8, depth_resolution=4)
    assert (fixed.config.plane_convention, fixed.config.neural_rendering_resolution, fixed.config.depth_resolution) == \
        ("fixed", 8, 4)
    assert not marker.exists()


class _Evil:
    def __reduce__(self):
        import os
        return os.system, ("echo pwned > /dev/null",)


class _EvilEval:
    def __reduce__(self):
        return eval, ("1+1",)


@pytest.mark.parametrize("payload", [_Evil(), _EvilEval()])
def test_refuses_pickles_that_would_run_code(tmp_path, payload):
    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps({"G_ema": payload}))
    with pytest.raises(UnsafePickleError, match="refused to unpickle.*(system|eval)"):
        read_pickle(path)
    torch_path = tmp_path / "evil.pt"
    torch.save({"net": payload}, torch_path)
    with pytest.raises(UnsafePickleError):
        read_pickle(torch_path)


def test_reads_torch_file_with_pickled_optimizer(tmp_path):
    """May_demo.pt-style: a torch.save dict with a whole Adam and StepLR object beside the state_dicts."""
    net = torch.nn.Linear(3, 2)
    opt = torch.optim.Adam(net.parameters(), lr=5e-4)
    sched = torch.optim.lr_scheduler.StepLR(opt, 2, 0.98)
    path = tmp_path / "demo.pt"
    torch.save({"net": net.state_dict(), "optimizer": opt, "scheduler": sched, "epoch": 3,
                "null_vector": torch.ones(1, 1, 4, requires_grad=True)}, path)
    with pytest.raises(Exception):
        torch.load(path, weights_only=True)
    ckpt = read_pickle(path)
    assert torch.equal(ckpt["net"]["weight"], net.weight.detach()) and ckpt["epoch"] == 3
    assert type(ckpt["optimizer"]).__module__ == "talkbench.pickled"
    assert torch.equal(ckpt["null_vector"], torch.ones(1, 1, 4))


def test_not_a_pickle_is_a_clear_error(tmp_path):
    path = tmp_path / "broken.pkl"
    path.write_bytes(b"not a pickle at all")
    with pytest.raises(InputError, match="cannot be read"):
        read_pickle(path)


def test_reads_live3dportrait_converted_pth_with_easydict_kwargs(tmp_path, monkeypatch):
    torch.manual_seed(2)
    g = TriPlaneGenerator(tiny_config()).eval()
    dnnlib, util = types.ModuleType("dnnlib"), types.ModuleType("dnnlib.util")

    class EasyDict(dict):
        pass

    EasyDict.__module__, EasyDict.__qualname__ = "dnnlib.util", "EasyDict"
    util.EasyDict = EasyDict
    monkeypatch.setitem(sys.modules, "dnnlib", dnnlib)
    monkeypatch.setitem(sys.modules, "dnnlib.util", util)
    kwargs = EasyDict({k: v for k, v in INIT_KWARGS.items() if k != "rendering_kwargs"})
    path = tmp_path / "ffhqrebalanced512-128.pth"
    torch.save({"G_init_args": (), "G_init_kwargs": kwargs, "G": g.state_dict(), "D": {},
                "G_neural_rendering_resolution": 16, "G_renderinig_kwargs": EasyDict(INIT_KWARGS["rendering_kwargs"])}, path)
    monkeypatch.delitem(sys.modules, "dnnlib.util")
    with pytest.raises(Exception):
        torch.load(path, weights_only=True)
    loaded = load_generator(path)
    assert loaded.config == config_from_init_kwargs(INIT_KWARGS, 16)
    assert all(torch.equal(loaded.state_dict()[k], v) for k, v in g.state_dict().items())
