"""Identity embedding networks that run on the 112×112 ArcFace-aligned crop.

  buffalo_l            insightface pack, w600k_r50.onnx (ArcFace R50, WebFace600K) via onnxruntime
  antelopev2           insightface pack, glintr100.onnx (ArcFace R100, Glint360K) via onnxruntime
  arcface-iresnet100   arcface_torch ms1mv3 r100 backbone.pth (torch)
  ir-se50              TreB1eN model_ir_se50.pth (torch; fed BGR, as it was trained)

Packs and files are only read from where `talkbench weights` installs them; a missing one raises
MissingWeightsError (insightface is never allowed to download). The dlib ResNet descriptor has
its own chip alignment and lives in talkbench.analysis.face_analysers (DlibIdentityAnalyser).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np


@dataclass
class IdentityNet:
    id: str
    weights_sha256: str
    preprocessing: str
    embed_fn: Callable[[np.ndarray], np.ndarray]

    def embed(self, crops: np.ndarray) -> np.ndarray:
        """N×112×112×3 uint8 RGB aligned crops -> N×D float64 embeddings (not normalised)."""
        return np.asarray(self.embed_fn(crops), dtype=np.float64)


def _onnx_pack(pack: str, member: str) -> IdentityNet:
    from ..errors import MissingWeightsError
    from ..weights.store import candidate_paths, file_sha256, get_weights_spec, verified_weights

    spec = get_weights_spec(pack)
    expected = candidate_paths(spec)[0] / member
    if not expected.is_file():  # name the member file the metric needs, not only the pack
        raise MissingWeightsError(f"{member} (insightface pack {pack})", pack, spec.urls, where=str(expected))
    folder = verified_weights(pack).path  # WeightsMismatchError before anything runs
    import onnxruntime as ort

    path = folder / member
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name

    def embed(crops: np.ndarray) -> np.ndarray:
        x = (crops.astype(np.float32) - 127.5) / 127.5
        return session.run(None, {name: np.ascontiguousarray(x.transpose(0, 3, 1, 2))})[0]

    return IdentityNet(f"arcface-{pack}-{member}", file_sha256(path), "112×112 ArcFace warp, RGB, (x−127.5)/127.5", embed)


def _torch_net(net_id: str, loader: Callable[[], object], weights_id: str, bgr: bool) -> IdentityNet:
    import torch

    from ..weights.store import verified_weights

    sha = verified_weights(weights_id).sha256
    net = loader()

    def embed(crops: np.ndarray) -> np.ndarray:
        x = torch.from_numpy(np.ascontiguousarray(crops)).permute(0, 3, 1, 2).float() / 255.0
        if bgr:
            x = x.flip(1)
        with torch.no_grad():
            return net((x - 0.5) / 0.5).double().numpy()

    order = "BGR" if bgr else "RGB"
    return IdentityNet(net_id, sha, f"112×112 ArcFace warp, {order}, (x/255−0.5)/0.5", embed)


def _iresnet100() -> IdentityNet:
    from ..nets.iresnet import load_iresnet

    return _torch_net("arcface-iresnet100-ms1mv3", lambda: load_iresnet("iresnet100"), "arcface_iresnet100", bgr=False)


def _ir_se50() -> IdentityNet:
    from ..nets.ir_se50 import load_ir_se50

    return _torch_net("ir-se50-treb1en", load_ir_se50, "ir_se50", bgr=True)


IDENTITY_BACKBONES: dict[str, Callable[[], IdentityNet]] = {
    "buffalo_l": lambda: _onnx_pack("buffalo_l", "w600k_r50.onnx"),
    "antelopev2": lambda: _onnx_pack("antelopev2", "glintr100.onnx"),
    "arcface-iresnet100": _iresnet100,
    "ir-se50": _ir_se50,
}

def get_identity_backbone(name: str) -> IdentityNet:
    """The identity network, loaded once per process (nets.pool; it verifies its own file's sha256)."""
    from ..nets.pool import POOL

    if name not in IDENTITY_BACKBONES:
        raise KeyError(f"unknown identity backbone '{name}'; known: {sorted(IDENTITY_BACKBONES)} and dlib-resnet")
    return POOL.get(f"identity:{name}", lambda: (None, IDENTITY_BACKBONES[name])).network
