"""`goha` as a TalkingHeadModel (released stage-2 network, offline real-frame inputs).

prepare(source): the source at 512² (EG3D crop expected), its BiSeNet parsing mask and the canonical
tri-plane (cached), its face mesh and head-pose camera. animate(state, driving, cameras): per driving
frame the pseudo-3DMM image (inputs.py) -> expression plane; appearance features lifted with the
canonical + expression plane rendered at the source camera (the released `full_rec_tar` order);
rendered at the target camera (the protocol's cameras, else the driving frame's head pose, as
`test_celeba_cross.py --transfer_pose 1`), then GFPGAN super-resolution. Cameras without driving frames
(novel-view protocols) render the source with its own expression.
Outputs: `output="sr"` (default) the 512² SR image, `output="raw"` the 224² raw render (GOHA's CelebA
script writes its FID images from the network output; the raw render is what the paper calls low-res),
resized to `output_size` (None: the source's size, so predictions match the protocol's resolution).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch

from ...errors import InputError
from ..components.frames import frames_to_tensor, tensor_to_frame
from ..base import Camera, ModelInfo, TalkingHeadModel
from ..components.cameras import camera_to_label
from ..components.gfpgan import NOISE_MODES
from .checkpoint import load_release, resolve_checkpoint, save_release_container
from .config import GOHAConfig
from .inputs import EXPRESSION_INPUTS, MESH_NOTE, Deep3DInputs, MeshInputs
from .model import GOHANetwork

OUTPUTS = ("sr", "raw")
UPSTREAM_NOISE_NOTE = ("SR noise from the stored GFPGAN buffers (deterministic); the released forward draws "
                       "fresh noise per call")


@dataclass
class _State:
    image: np.ndarray               # the source frame as given (H, W, 3) uint8
    source: torch.Tensor            # (1, 3, 512, 512) in [-1, 1]
    keep: torch.Tensor              # (1, 1, 512, 512) 1 - parsing mask
    canonical: torch.Tensor         # (1, 3, 32, 256, 256)
    camera: torch.Tensor            # (1, 25) source camera label (goha recipe)
    identity: Any                   # what the input path needs from the source (mesh / coefficients)


class GOHA(TalkingHeadModel):
    info = ModelInfo(
        name="goha", kind="one-shot",
        description="GOHA (NeurIPS 2023): canonical + expression + lifted appearance tri-planes, GFPGAN SR; "
        "released stage-2 layout",
        paper="arXiv:2306.08768",
        config={**GOHAConfig().to_dict(), "expression_input": "mesh", "output": "sr", "inputs_note": MESH_NOTE})
    needs = ("driving",)

    def __init__(self, checkpoint: str | None = None, sha256: str | None = None, device: str = "cpu", seed: int = 0,
                 render_resolution: int | None = None, num_samples: int | None = None, sr_noise_mode: str = "stored",
                 output: str = "sr", output_size: int | None = None, expression_input: str = "mesh",
                 bfm: str | None = None, config: GOHAConfig | None = None):
        """`render_resolution` and `num_samples` (coarse = fine) override the released 224² / 48+48 for
        quick runs (no weight changes shape; the notes flag it). `sr_noise_mode`: "stored" (default,
        deterministic) or "random" (seeded). `expression_input`: "mesh" (offline substitute, no files) or
        "deep3d" (the released pseudo-3DMM: Deep3DFaceRecon weights + `bfm`, your BFM_model_front.mat)."""
        if output not in OUTPUTS:
            raise ValueError(f"output must be one of {OUTPUTS}, got {output!r}")
        if expression_input not in EXPRESSION_INPUTS:
            raise ValueError(f"expression_input must be one of {EXPRESSION_INPUTS}, got {expression_input!r}")
        if sr_noise_mode not in NOISE_MODES:
            raise ValueError(f"sr_noise_mode must be one of {NOISE_MODES}, got {sr_noise_mode!r}")
        overrides = {k: v for k, v in (("render_resolution", render_resolution), ("num_samples_coarse", num_samples),
                                       ("num_samples_fine", num_samples)) if v is not None}
        self.config = replace(config or GOHAConfig(), sr_noise_mode=sr_noise_mode, **overrides)
        self.device, self.seed = torch.device(device), seed
        self.output, self.output_size, self.expression_input = output, output_size, expression_input
        if expression_input == "deep3d" and bfm is None:
            raise InputError(None, "expression_input=deep3d needs the BFM", "add --model-option bfm=BFM_model_front.mat")
        self.checkpoint, self.provenance = checkpoint, {}
        if checkpoint is not None:
            state, self.provenance = load_release(checkpoint, sha256)
            with torch.device("meta"):  # the file provides every tensor: skip the random initialisation
                self.network = GOHANetwork(self.config)
            self.network.load_state_dict(state, strict=True, assign=True)
        else:
            torch.manual_seed(seed)
            self.network = GOHANetwork(self.config)
        self.network.eval().to(self.device)
        self.inputs = MeshInputs() if expression_input == "mesh" else Deep3DInputs(bfm, self.network.cano_exemplar)

    @classmethod
    def from_checkpoint(cls, path, sha256: str | None = None, **kwargs) -> "GOHA":
        return cls(checkpoint=str(path), sha256=sha256, **kwargs)

    @staticmethod
    def resolve_checkpoint(path) -> Path:
        """The released file itself, or the highest-iteration `checkpoint*.ckpt` of a folder."""
        return resolve_checkpoint(path)

    @classmethod
    def write_random_checkpoint(cls, path, seed: int = 0) -> Path:
        """A random-initialised network in the released container, marked as such (pipeline tests)."""
        torch.manual_seed(seed)
        net = GOHANetwork(GOHAConfig())
        return save_release_container(net.state_dict(), path, provenance={"random_init": True, "seed": int(seed)})

    @classmethod
    def parameter_table(cls) -> list[dict]:
        """Counted on the meta device: the released Model's top-level modules and GFPGAN's parts."""
        from ..parameters import parameter_rows

        with torch.device("meta"):
            net = GOHANetwork(GOHAConfig())
        rows = parameter_rows(net, "goha", depth=1)
        return rows + parameter_rows(net.neural_layers.gfpgan, "goha.neural_layers.gfpgan", depth=1)[1:]

    def comparability_notes(self) -> list[str]:
        notes = []
        if self.checkpoint is None:
            notes.append(f"goha: no checkpoint, random initialisation (seed {self.seed}): numbers are meaningless")
        elif self.provenance.get("random_init"):
            notes.append(f"goha: checkpoint {Path(self.checkpoint).name} is a random initialisation written by "
                         f"talkbench (seed {self.provenance.get('seed')}): numbers are meaningless")
        released = GOHAConfig()
        changed = [f"{k}={v}" for k, v in self.config.to_dict().items()
                   if v != getattr(released, k) and k != "sr_noise_mode"]
        if changed:
            notes.append("goha: settings differ from the released model (" + ", ".join(changed) + ")")
        if self.output == "raw":
            notes.append("goha: outputs are the raw 224² renders (output=raw), not the 512² SR images")
        notes.append("goha: " + (UPSTREAM_NOISE_NOTE if self.config.sr_noise_mode == "stored"
                                 else "SR noise drawn per call from a generator seeded with the run seed"))
        notes.append("goha: " + self.inputs.note)
        return notes

    def config_dict(self) -> dict[str, Any]:
        return {**self.config.to_dict(), "checkpoint": self.checkpoint, "checkpoint_provenance": self.provenance,
                "seed": self.seed, "output": self.output, "output_size": self.output_size,
                "expression_input": self.expression_input, "inputs_note": self.inputs.note}

    def _label(self, camera: Camera) -> torch.Tensor:
        return torch.as_tensor(camera_to_label(camera), dtype=torch.float32, device=self.device)[None]

    @torch.no_grad()
    def prepare(self, source: Sequence[np.ndarray]) -> _State:
        image = np.asarray(source[0])
        if image.ndim != 3 or image.shape[2] != 3:
            raise InputError("source image", f"expected an H×W×3 RGB frame, got shape {image.shape}",
                             "pass an RGB frame")
        net = self.network
        src = frames_to_tensor([image], self.config.input_size).to(self.device)
        camera, identity = self.inputs.prepare_source(image, src)
        keep = 1 - net.parsing_mask(src)
        return _State(image, src, keep, net.canonical_plane(src, keep), self._label(camera), identity)

    def _to_output(self, image: torch.Tensor, size: tuple[int, int]) -> np.ndarray:
        return tensor_to_frame(image, size)

    @torch.no_grad()
    def animate(self, state: _State, driving=None, cameras: Sequence[Camera] | None = None, audio=None, gt=None):
        if driving is None or len(driving) == 0:
            if not cameras:
                raise InputError("driving", "GOHA is driven by frames (expression and, without cameras, head pose)",
                                 "use a protocol with driving frames or cameras")
            driving = [state.image] * len(cameras)  # novel views of the source with its own expression
        tensors = frames_to_tensor([np.asarray(f) for f in driving], self.config.input_size).to(self.device)
        pseudo, head_cameras = self.inputs.drive(state.identity, state.image, driving, tensors, self.config.input_size)
        if cameras:
            cameras = list(cameras)
            if len(cameras) != len(head_cameras):
                raise ValueError(f"{len(cameras)} cameras for {len(head_cameras)} driving frames")
        else:
            cameras = head_cameras
        net, gen = self.network, torch.Generator(device=self.device).manual_seed(self.seed)
        size = (self.output_size,) * 2 if self.output_size else state.image.shape[:2]
        frames = []
        for i, camera in enumerate(cameras):
            plane = state.canonical + net.expression_plane(pseudo[i:i + 1].to(self.device))
            plane = plane + net.appearance_plane(state.source, state.camera, plane, state.keep, gen)["planes"]
            out = net.render(plane, self._label(camera), generator=gen)
            image = out["rgb_raw"] if self.output == "raw" else net.super_resolve(out["rgb_raw"], gen)
            frames.append(self._to_output(image[0], size))
        return frames
