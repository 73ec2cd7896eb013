"""`real3d-portrait` as a TalkingHeadModel.

Implemented: building the network (random init or the released checkpoint), the cached canonical
plane, rendering for EG3D cameras, the KNN background fill, and two input paths:
* `real_inputs=True` (default): pre-processing of real frames, offline or official (`preprocess`, below).
* `real_inputs=False`: no pre-processing; the source is used unsegmented and the PNCC comes from the
  supplied (or tiny synthetic) 3DMM at neutral expression.
Audio driving (`animate(state, audio=...)`, see audio_driving.py): HuBERT-large features + Praat f0 ->
the A2M VAE (`a2m_checkpoint`, released `audio2secc_vae`) -> 64 expression coefficients per 25 fps frame
-> cano / src / target PNCC of the 3DMM (the synthetic one unless a BFM is supplied: a substitute, noted
in the config) -> the same render loop as video driving, one frame per frame of the audio item. The A2M
checkpoint and HuBERT weights (`hubert_weights`: registry id or path) load on first use; when absent,
MissingWeightsError (reported per item by the runner).
Pre-processing of real frames (`real_inputs=True`) is an explicit choice, `preprocess` (preprocess.py):
"offline" (default; no extra files: mediapipe binary mask split by the mesh, mesh-NCC, head pose from the
mesh's rigid fit, torso keypoints from the mesh; not the paper's numbers) or "official" (the released
pipeline: 6-class segmenter file + 3DMM landmark fit with the user's `bfm` / `bfm_index` / `ncc_code`).
Either way, video driving transfers the driving head pose as smoothed `real3d` cameras (mapped onto the
source pose) when the protocol supplies no cameras, and drives the torso with the lm68 keypoints.
Video driving needs the driving frames' 3DMM expression and head pose, which only the pre-processing
gives: with `real_inputs=False` it raises InputError (drive with cameras or audio, or keep real inputs).
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
from ..components.cameras import EG3D_FOCAL, camera_to_label, lookat_cam2world, normalized_intrinsics
from ..components.morphable import MorphableModel, synthetic_morphable_model
from ..components.pncc import render_pncc
from ..components.hubert import HUBERT_WEIGHTS_ID, HubertConfig
from .audio_driving import SYNTHETIC_3DMM_NOTE, AudioDriver, AudioDrivingOptions, expression_pncc, reference_pncc
from .checkpoint import load_release, resolve_checkpoint, save_release_container
from .config import Real3DPortraitConfig
from ..components.inpaint import inpaint_torso, knn_fill_background
from .model import Real3DPortraitNetwork
from .preprocess import OFFICIAL_NOTE, PREPROCESS_MODES, OfficialPreprocessor, OfflinePreprocessor, SourceInputs
from .real_inputs import SUBSTITUTION_NOTE, MeshNCC
from .segmentation import head_mask


def video_driving_needs_preprocessing() -> InputError:
    return InputError(None, "Real3D-Portrait video driving reads the driving frames' expression (PNCC) and head pose, "
                            "which only the real-input pre-processing extracts; this model was built with real_inputs=False",
                      "keep real_inputs=True (preprocess 'offline' or 'official'), or drive it with cameras or audio")

@dataclass
class _State:
    source: torch.Tensor            # (1, 3, S, S) in [-1, 1], unsegmented
    source_size: tuple[int, int]    # (H, W) of the source image as given (the default output size)
    cano_planes: torch.Tensor
    pncc_cano: torch.Tensor         # (1, 3, S, S)
    pncc_src: torch.Tensor | None = None
    ref_torso: torch.Tensor | None = None
    ref_bg: torch.Tensor | None = None
    segmap: torch.Tensor | None = None   # (1, 6, 64, 64) one-hot
    ncc: MeshNCC | None = None
    prep: SourceInputs | None = None     # pre-processing of the source (pose, torso keypoints, identity)
    id_coeff: np.ndarray | None = None   # fitted 3DMM identity (official pre-processing)


OFFICIAL_SIZE = 512  # the released pipeline's crop size


def _resize_mask(mask: np.ndarray, size: int) -> np.ndarray:
    """Nearest-neighbour resize of (..., H, W) masks to size×size (pixel centres)."""
    h, w = mask.shape[-2:]
    rows = ((np.arange(size) + 0.5) * h / size).astype(int)
    cols = ((np.arange(size) + 0.5) * w / size).astype(int)
    return mask[..., rows[:, None], cols[None, :]]


class Real3DPortrait(TalkingHeadModel):
    info = ModelInfo(
        name="real3d-portrait", kind="one-shot",
        description="Real3D-Portrait (ICLR 2024): I2P tri-plane + PNCC motion adapter + HTB-SR, released-code layout",
        paper="arXiv:2401.08503",
        config={**Real3DPortraitConfig().to_dict(), "real_inputs": True, "real_inputs_note": SUBSTITUTION_NOTE})
    needs = ("cameras",)

    def __init__(self, checkpoint: str | None = None, sha256: str | None = None, device: str = "cpu",
                 image_size: int = 512, seed: int = 0, morphable: MorphableModel | None = None,
                 config: Real3DPortraitConfig | None = None, real_inputs: bool = True,
                 output_size: int | None = None, neural_rendering_resolution: int | None = None,
                 num_samples: int | None = None, a2m_checkpoint: str | None = None,
                 hubert_weights: str = HUBERT_WEIGHTS_ID, temperature: float = 0.2, mouth_amp: float = 0.45,
                 blink: str = "period", hubert_config: HubertConfig | None = None, preprocess: str = "offline",
                 bfm: str | None = None, bfm_index: str | None = None, ncc_code: str | None = None,
                 segmenter_weights: str | None = None, map_to_init_pose: bool = True):
        """`output_size`: side of the returned frames (None: the source image's, so predictions match
        the protocol's resolution; the network itself always renders 512²). `neural_rendering_resolution`
        and `num_samples` (coarse = fine) override the released 128² / 48+48 for quick CPU runs: no
        weight changes shape, but the numbers are then not the released model's (the notes say so).
        Audio driving: `a2m_checkpoint` (the released audio2secc_vae file or folder), `hubert_weights`,
        `temperature`, `mouth_amp`, `blink` (none | period) as the released inference script's options;
        `hubert_config` only for reduced test networks.
        Pre-processing (`real_inputs=True`): `preprocess` "offline" | "official"; the official one needs
        `bfm` (BFM_model_front.mat), `bfm_index` (index_mp468_from_mesh35709.npy; default: beside the
        .mat), optional `ncc_code` (ncc_code.npy) and the 6-class segmenter (`segmenter_weights` path, else
        the installed `selfie_multiclass_256x256`); missing files raise at construction.
        `map_to_init_pose`: shift the driving pose so that frame 0 has the source's pose (released default)."""
        if preprocess not in PREPROCESS_MODES:
            raise ValueError(f"preprocess must be one of {PREPROCESS_MODES}, got {preprocess!r}")
        self.real_inputs, self.preprocess = real_inputs, preprocess
        if preprocess == "official":
            self.preprocessor = OfficialPreprocessor(bfm, bfm_index, ncc_code, segmenter_weights,
                                                     map_to_init_pose=map_to_init_pose)
            morphable = self.preprocessor.model
        else:
            self.preprocessor = OfflinePreprocessor(map_to_init_pose)
        self.config = config or Real3DPortraitConfig()
        overrides = {k: v for k, v in (("neural_rendering_resolution", neural_rendering_resolution),
                                       ("num_samples_coarse", num_samples), ("num_samples_fine", num_samples))
                     if v is not None}
        self.config = replace(self.config, **overrides)
        self.device = torch.device(device)
        self.image_size, self.seed, self.output_size = image_size, seed, output_size
        self.morphable = morphable or synthetic_morphable_model()
        self.audio_driver = AudioDriver(a2m_checkpoint, hubert_weights, AudioDrivingOptions(
            temperature=temperature, mouth_amp=mouth_amp, blink=blink, seed=seed), device, hubert_config=hubert_config)
        torch.manual_seed(seed)
        self.network = Real3DPortraitNetwork(self.config)
        self.checkpoint, self.provenance = checkpoint, {}
        if checkpoint is not None:
            state, self.provenance = load_release(checkpoint, sha256)
            self.network.load_state_dict(state, strict=True)
        self.network.eval().to(self.device)

    @classmethod
    def from_checkpoint(cls, path, sha256: str | None = None, **kwargs) -> "Real3DPortrait":
        return cls(checkpoint=str(path), sha256=sha256, **kwargs)

    @staticmethod
    def resolve_checkpoint(path) -> Path:
        """The released file itself, or the latest `model_ckpt_steps_*.ckpt` of a folder (as upstream)."""
        return resolve_checkpoint(path)

    @classmethod
    def write_random_checkpoint(cls, path, seed: int = 0) -> Path:
        """A random-initialised network in the released container (`model_ckpt_steps_*.ckpt` layout),
        marked as such, for testing the whole pipeline without the official weights."""
        torch.manual_seed(seed)
        net = Real3DPortraitNetwork(Real3DPortraitConfig())
        return save_release_container(net.state_dict(), path, provenance={"random_init": True, "seed": int(seed)})

    @classmethod
    def parameter_table(cls) -> list[dict]:
        """Counted on the meta device (no memory, no weights): the secc2plane-torso network to two
        levels (I2P, motion adapter, decoder, HTB-SR and their parts) and the A2M VAE to one."""
        from ..parameters import parameter_rows
        from .audio2motion import Audio2MotionVAE

        with torch.device("meta"):
            net, a2m = Real3DPortraitNetwork(Real3DPortraitConfig()), Audio2MotionVAE()
        return parameter_rows(net, "secc2plane_torso", depth=2) + parameter_rows(a2m, "audio2secc_vae", depth=1)

    def comparability_notes(self) -> list[str]:
        notes = []
        if self.checkpoint is None:
            notes.append(f"real3d-portrait: no checkpoint, random initialisation (seed {self.seed}): numbers are meaningless")
        elif self.provenance.get("random_init"):
            notes.append(f"real3d-portrait: checkpoint {Path(self.checkpoint).name} is a random initialisation written by "
                         f"talkbench (seed {self.provenance.get('seed')}): numbers are meaningless")
        released = Real3DPortraitConfig()
        changed = [f"{k}={v}" for k, v in self.config.to_dict().items() if v != getattr(released, k)]
        if changed:
            notes.append("real3d-portrait: settings differ from the released model (" + ", ".join(changed) + ")")
        if self.real_inputs:
            notes.append("real3d-portrait: " + (OFFICIAL_NOTE if self.preprocess == "official" else SUBSTITUTION_NOTE))
        if self.audio_driver.a2m_checkpoint is not None and self.morphable.name == "synthetic":
            notes.append("real3d-portrait: " + SYNTHETIC_3DMM_NOTE)
        return notes

    def config_dict(self) -> dict[str, Any]:
        out = {**self.config.to_dict(), "checkpoint": self.checkpoint, "image_size": self.image_size, "seed": self.seed,
               "real_inputs": self.real_inputs, "output_size": self.output_size, "checkpoint_provenance": self.provenance,
               "audio": self.audio_driver.config_dict(), "morphable": self.morphable.name}
        if self.morphable.name == "synthetic":
            out["morphable_note"] = SYNTHETIC_3DMM_NOTE
        if self.real_inputs:
            out["preprocess"] = self.preprocess
            out["preprocess_options"] = self.preprocessor.config_dict()
            out["real_inputs_note"] = OFFICIAL_NOTE if self.preprocess == "official" else SUBSTITUTION_NOTE
        return out

    def _to_output(self, image: torch.Tensor, size: tuple[int, int]) -> np.ndarray:
        """(3, 512, 512) in [-1, 1] -> H×W uint8 RGB (antialiased bilinear when resizing)."""
        return tensor_to_frame(image, size)

    @staticmethod
    def _torso_reference(frame: np.ndarray, seg: np.ndarray) -> np.ndarray:
        """Upstream's torso inpainting, run where upstream runs it: on the 512² uint8 frame (its smear
        lengths are in 512² pixels), whatever the model's input size."""
        at512 = ((frames_to_tensor([frame], OFFICIAL_SIZE)[0].permute(1, 2, 0).numpy() + 1) * 127.5).clip(0, 255).round()
        torso, _ = inpaint_torso(at512.astype(np.uint8), _resize_mask(seg, OFFICIAL_SIZE))
        return torso

    def _prepare_real(self, frame: np.ndarray) -> _State:
        size, dev = self.image_size, self.device
        prep = self.preprocessor.source(frame, size)
        seg = _resize_mask(prep.seg, size)  # (6, S, S) at the model resolution
        src = frames_to_tensor([frame], size).to(dev)
        keep = lambda m: torch.where(torch.as_tensor(m, device=dev)[None, None], src, -torch.ones_like(src))  # noqa: E731
        resized = (src[0].permute(1, 2, 0).cpu().numpy() + 1) * 127.5
        bg = knn_fill_background(resized, seg[0])
        torso = self._torso_reference(frame, prep.seg)
        ncc = prep.identity if isinstance(prep.identity, MeshNCC) else None
        return _State(src, frame.shape[:2], self.network.canonical_planes(keep(head_mask(seg))), prep.pncc_cano.to(dev),
                      prep.pncc_src.to(dev), frames_to_tensor([torso], size).to(dev), frames_to_tensor([bg.clip(0, 255)], size).to(dev),
                      torch.as_tensor(_resize_mask(seg, 64), dtype=torch.float32, device=dev)[None], ncc, prep,
                      getattr(prep.identity, "id", None))

    @torch.no_grad()
    def prepare(self, source: Sequence[np.ndarray]) -> _State:
        if self.real_inputs:
            return self._prepare_real(np.asarray(source[0]))
        src = frames_to_tensor(source[:1], self.image_size).to(self.device)
        pncc = render_pncc(self.morphable, size=self.image_size).to(self.device)
        return _State(src, np.asarray(source[0]).shape[:2], self.network.canonical_planes(src), pncc)

    @torch.no_grad()
    def driving_inputs(self, state: _State, driving: Sequence[np.ndarray]):
        """Target PNCC, cameras (driving head pose mapped onto the source's) and torso keypoints per frame."""
        if state.prep is None:
            raise video_driving_needs_preprocessing()
        return self.preprocessor.driving(state.prep, driving, self.image_size)

    def driving_pncc(self, state: _State, driving: Sequence[np.ndarray]) -> torch.Tensor:
        """(T, 3, S, S) target PNCC of each driving frame (head pose removed)."""
        return self.driving_inputs(state, driving).pncc.to(self.device)

    @torch.no_grad()
    def animate(self, state: _State, driving=None, cameras: Sequence[Camera] | None = None, audio=None, gt=None):
        if audio is not None:
            return self._animate_audio(state, audio, cameras)
        if driving is not None and cameras is None and not self.real_inputs:
            raise video_driving_needs_preprocessing()
        default = Camera(lookat_cam2world(np.pi / 2, np.pi / 2), normalized_intrinsics(EG3D_FOCAL), "real3d")
        kp_d = None
        if driving is not None and state.prep is not None:
            drv = self.driving_inputs(state, driving)
            tgt, kp_d = drv.pncc.to(self.device), drv.kp.to(self.device)
            cameras = list(cameras) if cameras else drv.cameras
            if len(cameras) != len(tgt):
                raise ValueError(f"{len(cameras)} cameras for {len(tgt)} driving frames")
        else:
            cameras = list(cameras) if cameras else [default]
            tgt = (state.pncc_src if state.pncc_src is not None else state.pncc_cano).expand(len(cameras), -1, -1, -1)
        src_pncc = state.pncc_src if state.pncc_src is not None else state.pncc_cano
        return self._render(state, cameras, state.pncc_cano, src_pncc, (tgt[i:i + 1] for i in range(len(cameras))),
                            kp_d)

    @torch.no_grad()
    def _animate_audio(self, state: _State, audio, cameras: Sequence[Camera] | None) -> list[np.ndarray]:
        """One frame per 25 fps frame of the audio (an AudioSpan's n_frames; a file's own length)."""
        exp = self.audio_driver.expressions(audio)
        id_coeff = state.id_coeff
        cano, src = reference_pncc(self.morphable, exp, self.image_size, id_coeff)
        if cameras:
            cameras = list(cameras)
        elif state.prep is not None:  # static head pose = the source's (the released `--drv_pose static`)
            from .driving_pose import cameras_from_poses

            cameras = cameras_from_poses(state.prep.euler[None], state.prep.trans[None], kernel=1) * len(exp)
        else:
            cameras = [Camera(lookat_cam2world(np.pi / 2, np.pi / 2), normalized_intrinsics(EG3D_FOCAL), "real3d")] * len(exp)
        if len(cameras) != len(exp):
            raise ValueError(f"{len(cameras)} cameras for {len(exp)} audio frames")
        targets = (t[None].to(self.device) for t in expression_pncc(self.morphable, exp, self.image_size, id_coeff,
                                                                     self.audio_driver.options))
        return self._render(state, cameras, cano.to(self.device), src.to(self.device), targets)

    def _render(self, state: _State, cameras: Sequence[Camera], pncc_cano: torch.Tensor, src_pncc: torch.Tensor,
                targets, kp_d: torch.Tensor | None = None) -> list[np.ndarray]:
        """The per-frame loop: motion planes from (cano, src, target) PNCC, render, super-resolve, resize.
        Torso keypoints: the source's (zeros without pre-processing); per-frame `kp_d` (T, 4, 3), else the source's."""
        s = state.source
        if state.segmap is not None:
            seg, torso, bg = state.segmap, state.ref_torso, state.ref_bg
        else:
            seg = torch.zeros(1, 6, 64, 64, device=self.device)
            seg[:, 0] = 1  # no segmentation: everything is background
            torso, bg = s, s
        kp = state.prep.kp.to(self.device) if state.prep is not None else torch.zeros(1, 4, 3, device=self.device)
        gen = torch.Generator(device=self.device).manual_seed(self.seed)
        frames = []
        for i, (cam, tgt) in enumerate(zip(cameras, targets)):
            pncc = torch.cat([pncc_cano, src_pncc, tgt], dim=1)
            planes = self.network.motion_planes(state.cano_planes, pncc)
            label = torch.as_tensor(camera_to_label(cam), dtype=torch.float32, device=self.device)[None]
            out = self.network.synthesize(planes, label, torso, bg, seg, kp, kp if kp_d is None else kp_d[i:i + 1],
                                          generator=gen)
            frames.append(self._to_output(out["image"][0], (self.output_size,) * 2 if self.output_size else state.source_size))
        return frames
