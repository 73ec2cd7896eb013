"""`export3d` as a TalkingHeadModel (seed 004, implemented from the paper: no code or weights exist).

prepare(source): the source resized to the model's H × W. animate(state, driving): per driving frame,
the expression β_D and the camera p_D (inputs.py), then G(S, β_D) -> tri-plane -> render at H/4 ->
SR to H, resized to the source's size. Cameras given by a protocol replace the driving frames' ones.
Rendering is seeded (`seed`) so runs repeat exactly.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch

from ...errors import InputError
from ..components.frames import frames_to_tensor, tensor_to_frame
from ..base import Camera, ModelInfo, TalkingHeadModel
from ..components.cameras import camera_to_label
from .checkpoint import load_checkpoint, save_checkpoint
from .config import PAPER, PRESETS, Export3DConfig
from .inputs import MESH_NOTE, InputExtractor
from .network import Export3DNetwork

WEIGHTS_NOTE = ("export3d: the authors released neither code nor weights; this is talkbench's implementation from the "
                "paper, with talkbench-trained (or random) weights, never the authors'")


@dataclass
class _State:
    source: torch.Tensor          # (1, 3, H, W) in [-1, 1]
    size: tuple[int, int]         # the source image's (H, W): output size


class Export3D(TalkingHeadModel):
    info = ModelInfo(
        name="export3d", kind="one-shot",
        description="Export3D (ECCV 2024): CLeBS expression + EAdaLN-ViT hybrid tri-plane generator; "
                    "implemented from the paper, talkbench-trained weights (none released)",
        paper="ECCV 2024 (seed 004)",
        config={**PAPER.to_dict(), "expression_source": "mesh", "weights": "talkbench-trained or random; never the authors'"})
    needs = ("driving",)

    def __init__(self, checkpoint: str | None = None, sha256: str | None = None, device: str = "cpu", seed: int = 0,
                 preset: str = "paper", expression_source: str = "mesh", num_samples: int | None = None,
                 output_size: int | None = None, batch_size: int = 4):
        """`checkpoint`: a talkbench Export3D container (`init-checkpoint` or `fit`, stage generator);
        without one the `preset` network ("paper" | "tiny") is randomly initialised with `seed`.
        `expression_source`: "mesh" (offline) or "deep3d" (the paper's, needs Deep3DFaceRecon weights).
        `num_samples` overrides coarse samples (no fine samples) for quick CPU runs, flagged in the notes."""
        if preset not in PRESETS:
            raise ValueError(f"preset must be one of {sorted(PRESETS)}, got {preset!r}")
        self.device, self.seed, self.output_size, self.batch_size = torch.device(device), seed, output_size, batch_size
        self.checkpoint, self.provenance, self.stage = checkpoint, {}, None
        cfg = PRESETS[preset]
        state = None
        if checkpoint is not None:
            ckpt = load_checkpoint(checkpoint, sha256)
            if ckpt.stage == "clebs":
                raise InputError(checkpoint, "is a CLeBS pre-training checkpoint (expression encoder only)",
                                 "train the generator with `talkbench fit --model export3d --option stage=generator "
                                 "--option clebs=THIS_FILE` and run with its output")
            cfg, state, self.provenance, self.stage = ckpt.config, ckpt.state_dict["network"], ckpt.provenance, ckpt.stage
        self.trained_config = cfg
        if num_samples is not None:
            cfg = cfg.with_options(num_samples_coarse=int(num_samples), num_samples_fine=0)
        self.config = cfg
        torch.manual_seed(seed)
        self.network = Export3DNetwork(cfg)
        if state is not None:
            self.network.load_state_dict(state, strict=True)
        self.network.eval().to(self.device)
        self.extractor = InputExtractor(expression_source)

    @classmethod
    def from_checkpoint(cls, path, sha256: str | None = None, **kwargs) -> "Export3D":
        return cls(checkpoint=str(path), sha256=sha256, **kwargs)

    @classmethod
    def write_random_checkpoint(cls, path, seed: int = 0, config: Export3DConfig | None = None) -> Path:
        torch.manual_seed(seed)
        cfg = config or PAPER
        net = Export3DNetwork(cfg)
        return save_checkpoint(path, "random", cfg, {"network": net.state_dict()},
                               {"random_init": True, "seed": int(seed)})

    @classmethod
    def parameter_table(cls) -> list[dict]:
        """The paper-preset network to two levels, and f_I (pre-training only) to one (meta device)."""
        from ..parameters import parameter_rows
        from .clebs import ImageEncoder

        with torch.device("meta"):
            net, f_i = Export3DNetwork(PAPER), ImageEncoder(PAPER.image_encoder_channels, PAPER.basis_dim)
        return parameter_rows(net, "export3d", depth=2) + parameter_rows(f_i, "clebs_image_encoder", depth=1)

    @classmethod
    def fit(cls, request):
        from .training import fit

        return fit(request)

    def comparability_notes(self) -> list[str]:
        notes = [WEIGHTS_NOTE]
        if self.checkpoint is None:
            notes.append(f"export3d: no checkpoint, random initialisation (seed {self.seed}): numbers are meaningless")
        elif self.provenance.get("random_init"):
            notes.append(f"export3d: checkpoint {Path(self.checkpoint).name} is a random initialisation written by "
                         f"talkbench (seed {self.provenance.get('seed')}): numbers are meaningless")
        else:
            notes.append(f"export3d: weights trained by talkbench ({self.provenance.get('steps')} steps on "
                         f"{self.provenance.get('data')}), not the paper's training run")
        changed = [f"{k}={v}" for k, v in self.config.to_dict().items() if v != getattr(PAPER, k)]
        if changed:
            notes.append("export3d: settings differ from the paper configuration (" + ", ".join(changed) + ")")
        if self.extractor.source == "mesh":
            notes.append("export3d: " + MESH_NOTE)
        return notes

    def config_dict(self) -> dict[str, Any]:
        return {**self.config.to_dict(), "checkpoint": self.checkpoint, "checkpoint_stage": self.stage,
                "checkpoint_provenance": self.provenance, "seed": self.seed, "expression_source": self.extractor.source,
                "output_size": self.output_size}

    @torch.no_grad()
    def prepare(self, source: Sequence[np.ndarray]) -> _State:
        frame = np.asarray(source[0])
        return _State(frames_to_tensor([frame], self.config.image_size).to(self.device), frame.shape[:2])

    @torch.no_grad()
    def animate(self, state: _State, driving=None, cameras: Sequence[Camera] | None = None, audio=None, gt=None):
        if driving is None:
            raise InputError(None, "Export3D is driven by frames (expression and camera per frame)",
                             "use a reenactment protocol (same-id / cross-id)")
        inputs = self.extractor(list(driving))
        labels = inputs.labels if not cameras else np.stack([camera_to_label(c) for c in cameras]).astype(np.float32)
        if len(labels) != len(inputs.expressions):
            raise ValueError(f"{len(labels)} cameras for {len(inputs.expressions)} driving frames")
        return self.render_frames(state, inputs.expressions, labels)

    @torch.no_grad()
    def render_frames(self, state: _State, expressions: np.ndarray, labels: np.ndarray) -> list[np.ndarray]:
        gen = torch.Generator(device=self.device).manual_seed(self.seed)
        size = (self.output_size,) * 2 if self.output_size else state.size
        frames = []
        for start in range(0, len(expressions), self.batch_size):
            exp = torch.as_tensor(expressions[start:start + self.batch_size], device=self.device)
            cam = torch.as_tensor(labels[start:start + self.batch_size], device=self.device)
            out = self.network(state.source.expand(len(exp), -1, -1, -1), exp, cam, generator=gen)
            frames += [tensor_to_frame(img, size) for img in out["image"]]
        return frames
