"""Every backbone's state_dict has exactly the keys and shapes of the official file (from the manifests)."""
from __future__ import annotations

import pytest
import torch

from talkbench.nets import alexnet, deep3d_resnet, inception_fid, iresnet, ir_se50, vgg16
from talkbench.nets import lpips as lpips_net
from talkbench.nets import mtcnn as mtcnn_nets
from tests.checkpoint_manifests import manifest, manifest_shapes, module_shapes

BUILDERS = {
    "pt_inception-2015-12-05-6726825d": inception_fid.FIDInceptionV3,
    "alexnet-owt-7be5be79": alexnet.AlexNet,
    "vgg16-397923af": vgg16.VGG16,
    "lpips_v0.1_alex": lambda: lpips_net.LinearHeads(alexnet.CHANNELS),
    "lpips_v0.1_vgg": lambda: lpips_net.LinearHeads(vgg16.CHANNELS),
    "deep3dfacerecon_epoch_20": deep3d_resnet.ReconNet,
    "arcface_torch_iresnet50_ms1mv3": lambda: iresnet.iresnet("iresnet50"),
    "arcface_torch_iresnet100_ms1mv3": lambda: iresnet.iresnet("iresnet100"),
    "treb1en_model_ir_se50": ir_se50.IRSE50,
    "facenet_pytorch_mtcnn_pnet": mtcnn_nets.PNet,
    "facenet_pytorch_mtcnn_rnet": mtcnn_nets.RNet,
    "facenet_pytorch_mtcnn_onet": mtcnn_nets.ONet,
}


def _build_on_meta(builder):
    with torch.device("meta"):  # shapes only: no memory, no random init
        return builder()


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_keys_and_shapes_match_official_file(name):
    expected = {k: v for k, v in manifest_shapes(name).items() if not k.endswith("num_batches_tracked")}
    got = module_shapes(_build_on_meta(BUILDERS[name]))
    assert set(got) - set(expected) == set(), "keys the official file lacks"
    assert set(expected) - set(got) == set(), "official keys the module lacks"
    assert got == expected


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_num_batches_tracked_keys_match(name):
    m = manifest(name)
    module_nbt = {k for k in _build_on_meta(BUILDERS[name]).state_dict() if k.endswith("num_batches_tracked")}
    in_file = {k for k in m["state_dict"] if k.endswith("num_batches_tracked")}
    listed = set(m["num_batches_tracked"].get("keys", []) or m["num_batches_tracked"].get("keys_in_model_only", [])) \
        if isinstance(m["num_batches_tracked"], dict) else set()
    assert module_nbt == (in_file | listed)


def test_deep3d_heads_give_257_coefficients_in_order():
    assert sum(deep3d_resnet.HEAD_CHANNELS) == deep3d_resnet.NUM_COEFFS == 257
    sizes = {k: s.stop - s.start for k, s in deep3d_resnet.COEFF_SLICES.items()}
    assert sizes == {"id": 80, "exp": 64, "tex": 80, "angle": 3, "gamma": 27, "trans": 3}
