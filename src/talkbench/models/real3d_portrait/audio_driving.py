"""Audio -> expression coefficients -> target PNCC frames: Real3D-Portrait's audio-driven front end.

As the released inference script (inference/real3d_infer.py) does it:
1. 16 kHz mono audio -> HuBERT-large last hidden state at 50 Hz (components/hubert.py, clip-wise);
   padded with zero frames to a multiple of 8 (the A2M squeezes time by 2 and then by 4);
2. f0 from Praat's autocorrelation tracker (pitch.py), cut / zero-padded to the padded HuBERT length;
3. A2M VAE `infer` (audio2motion.py): z ~ N(0, 1)·temperature (0.2) -> reverse flow -> decoder, with
   mouth_amp 0.45 and blink input 0 -> 64 expression coefficients per 25 fps frame;
4. PNCC of the 3DMM at the canonical pose for identity + each frame's expression (cano = identity with
   expression 0, src = identity with the first predicted expression, as upstream); with blink mode
   "period" every 5 s an 8-12 frame (uniform, seeded) blink closes the PNCC eye holes with the
   parabolic amount 4t/T - 4t²/T² (`close_eyes`, our own implementation of upstream's image edit).

Differences, stated: the frame count is the protocol item's (truncate, or repeat the last expression);
the noise comes from a seeded torch generator, not the global RNG; without a user-supplied BFM the
synthetic 3DMM (components/morphable.py) stands in (it has no eye holes, so blinking changes nothing).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import torch
from scipy import ndimage

from ...errors import InputError, MissingWeightsError
from ...io.audio import SYNCNET_SAMPLE_RATE, AudioSpan, read_audio
from ..components.hubert import HUBERT_WEIGHTS_ID, Hubert, HubertConfig, hubert_features, load_hubert
from ..components.morphable import MorphableModel
from ..components.pncc import render_pncc
from .audio2motion import Audio2MotionConfig, Audio2MotionVAE, load_audio2motion, pad_audio_features
from .checkpoint import RELEASE_FOLDER_URL
from .pitch import PitchSettings, extract_f0, fit_length

BLINK_MODES = ("none", "period")
FPS = 25
SYNTHETIC_3DMM_NOTE = ("expression PNCC rendered with the synthetic 3DMM (no BFM supplied): a substitute for "
                       "Deep3DFaceRecon's BFM, so the motion signal is not the released model's")


@dataclass
class AudioDrivingOptions:
    temperature: float = 0.2
    mouth_amp: float = 0.45
    blink: str = "period"       # none | period (the released CLI's default)
    blink_period_s: float = 5.0
    blink_frames: tuple[int, int] = (8, 12)  # inclusive range of a blink's duration
    pad_multiple: int = 8
    seed: int = 0

    def __post_init__(self) -> None:
        if self.blink not in BLINK_MODES:
            raise ValueError(f"blink must be one of {BLINK_MODES}, got {self.blink!r}")

    def to_dict(self) -> dict:
        return asdict(self)


# -- audio -> expression -------------------------------------------------------------------------------
def load_samples(audio: Any, sample_rate: int = SYNCNET_SAMPLE_RATE) -> tuple[np.ndarray, int | None]:
    """(int16 samples, frames wanted or None) from an AudioSpan, a path or an int16/float array."""
    if isinstance(audio, AudioSpan):
        return audio.read(sample_rate), audio.n_frames
    if isinstance(audio, (str, Path)):
        return read_audio(audio, sample_rate).samples, None
    return np.asarray(audio), None


@torch.no_grad()
def audio_to_expression(samples: np.ndarray, hubert: Hubert, a2m: Audio2MotionVAE, n_frames: int | None = None,
                        options: AudioDrivingOptions | None = None) -> torch.Tensor:
    """16 kHz mono samples -> (n_frames, 64) expression coefficients at 25 fps.

    n_frames None: ceil(HuBERT frames / 2), i.e. the audio's own length without the padding frames."""
    opt = options or AudioDrivingOptions()
    feats = hubert_features(hubert, samples)
    if len(feats) == 0:
        raise InputError(None, f"the audio is too short for HuBERT ({len(samples)} samples at 16 kHz)",
                         "give at least one 25 fps frame of audio")
    audio, _, n_own = pad_audio_features(feats[None], None, opt.pad_multiple, fill="zero")
    f0 = torch.as_tensor(fit_length(extract_f0(samples, PitchSettings()), audio.shape[1]), dtype=torch.float32)
    dev = next(a2m.parameters()).device
    gen = torch.Generator(device=dev).manual_seed(opt.seed)
    exp = a2m.infer(audio.to(dev), f0[None].to(dev), mouth_amp=opt.mouth_amp, temperature=opt.temperature,
                    generator=gen)[0].cpu()
    want = n_own if n_frames is None else int(n_frames)
    if want > len(exp):
        exp = torch.cat([exp, exp[-1:].expand(want - len(exp), -1)])
    return exp[:want]


# -- blinking ------------------------------------------------------------------------------------------
def blink_schedule(n_frames: int, seed: int = 0, period_frames: int = 5 * FPS,
                   duration: tuple[int, int] = (8, 12)) -> np.ndarray:
    """Per-frame eye-closing amount in [0, 1]; NaN where no blink is scheduled.

    A blink starts at every multiple of `period_frames`, lasts T frames (uniform in `duration`, seeded)
    and closes the eyes by 4t/T - 4t²/T² at its t-th frame; as upstream, the last frame is never edited."""
    out = np.full(n_frames, np.nan)
    rng = np.random.default_rng(seed)
    for start in range(0, n_frames, period_frames):
        dur = int(rng.integers(duration[0], duration[1] + 1))
        for t in range(dur):
            if start + t >= n_frames - 1:
                break
            out[start + t] = 4 * t / dur - 4 * t * t / dur ** 2
    return out


def _nearest_source(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For every pixel, the (row, col) of the nearest True pixel of `mask` (Euclidean)."""
    _, idx = ndimage.distance_transform_edt(~mask, return_indices=True)
    return idx[0], idx[1]


def close_eyes(pncc: torch.Tensor, amount: float, margin: int = 4, erode: float = 5.0) -> torch.Tensor:
    """Close the eye holes of a (3, H, W) PNCC in [-1, 1] by `amount` in [0, 1] (0 = open, 1 = shut).

    Eye holes = non-face pixels (any colour channel 0 after 8-bit quantisation) inside the upper-left /
    upper-right quarter boxes of the image (rows H/4..H/2). Around each eye (its hole's bounding box +
    `margin`), face pixels within `erode` px of a hole count as eye too; then in every column the eye's top
    and bottom edges move towards the eye's mean row by `amount`, and the pixels they sweep take the colour
    of the nearest remaining face pixel. Frames without eye holes come back only quantised."""
    img = ((pncc.detach().cpu().permute(1, 2, 0).numpy() + 1) / 2 * 255).astype(np.int64)
    h, w = img.shape[:2]
    face = (img != 0).all(axis=-1)
    rows = slice(h // 4, h // 2)
    boxes = []
    for cols in (slice(w // 4, w // 2), slice(w // 2, w * 3 // 4)):
        prior = np.zeros((h, w), bool)
        prior[rows, cols] = True
        boxes.append(prior & ~face)
    holes = boxes[0] | boxes[1]
    if amount > 0 and boxes[0].any() and boxes[1].any():
        hole_rows = np.nonzero(holes)[0]
        r0, r1 = max(hole_rows.min() - margin, 0), hole_rows.max() + margin
        region = np.zeros((h, w), bool)
        for side in boxes:
            side_cols = np.nonzero(side)[1]
            region[r0:r1, max(side_cols.min() - margin, 0):side_cols.max() + margin] = True
        near_hole = ndimage.distance_transform_edt(~holes) <= erode
        skin = face & region & ~near_hole
        eye = region & ~skin
        grid = np.broadcast_to(np.arange(h)[:, None], (h, w))
        count = eye.sum(axis=0)
        mean = np.where(eye, grid, 0).sum(axis=0) / np.clip(count, 1, h)
        top = np.where(eye, grid, h * 4).min(axis=0)
        bottom = np.where(eye, grid, -h * 4).max(axis=0)
        upper = eye & (grid <= amount * mean + (1 - amount) * top)
        lower = eye & (grid >= amount * mean + (1 - amount) * bottom)
        swept = upper | lower
        if skin.any() and swept.any():
            src_r, src_c = _nearest_source(skin)
            rr, cc = np.nonzero(swept)
            img[rr, cc] = img[src_r[rr, cc], src_c[rr, cc]]
    return torch.as_tensor(img.astype(np.float32) / 127.5 - 1).permute(2, 0, 1)


# -- expression -> PNCC --------------------------------------------------------------------------------
def expression_pncc(morphable: MorphableModel, exp: torch.Tensor, size: int, id_coeff: np.ndarray | None = None,
                    options: AudioDrivingOptions | None = None, chunk: int = 50) -> Iterator[torch.Tensor]:
    """(3, size, size) target PNCC per expression row, rendered `chunk` frames at a time, blinks applied."""
    opt = options or AudioDrivingOptions()
    exp_np = exp.detach().cpu().double().numpy()
    amounts = (blink_schedule(len(exp_np), opt.seed, int(round(opt.blink_period_s * FPS)), opt.blink_frames)
               if opt.blink == "period" else np.full(len(exp_np), np.nan))
    for start in range(0, len(exp_np), chunk):
        frames = render_pncc(morphable, id_coeff, exp_np[start:start + chunk], size)
        for i, frame in enumerate(frames):
            a = amounts[start + i]
            yield frame if np.isnan(a) else close_eyes(frame, float(a))


def reference_pncc(morphable: MorphableModel, exp: torch.Tensor, size: int,
                   id_coeff: np.ndarray | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """(cano, src) PNCC (1, 3, size, size): identity at expression 0, and at the first predicted expression."""
    first = exp[:1].detach().cpu().double().numpy()
    return render_pncc(morphable, id_coeff, None, size), render_pncc(morphable, id_coeff, first, size)


# -- the models, loaded on first use -------------------------------------------------------------------
class AudioDriver:
    """Holds the audio options and loads HuBERT and the A2M checkpoint when the first audio item comes."""

    def __init__(self, a2m_checkpoint: str | Path | None = None, hubert_weights: str | Path = HUBERT_WEIGHTS_ID,
                 options: AudioDrivingOptions | None = None, device: str | torch.device = "cpu",
                 a2m_config: Audio2MotionConfig | None = None, hubert_config: HubertConfig | None = None,
                 a2m_sha256: str | None = None):
        self.a2m_checkpoint, self.hubert_weights = a2m_checkpoint, hubert_weights
        self.options = options or AudioDrivingOptions()
        self.device = torch.device(device)
        self.a2m_config, self.hubert_config, self.a2m_sha256 = a2m_config, hubert_config, a2m_sha256
        self._a2m: Audio2MotionVAE | None = None
        self._hubert: Hubert | None = None

    def models(self) -> tuple[Hubert, Audio2MotionVAE]:
        if self._a2m is None:
            if self.a2m_checkpoint is None:
                raise MissingWeightsError("audio2secc_vae/model_ckpt_steps_400000.ckpt", "real3d-portrait-a2m",
                                          (RELEASE_FOLDER_URL,), where="no a2m_checkpoint was given")
            self._a2m = load_audio2motion(self.a2m_checkpoint, self.a2m_sha256, self.a2m_config, self.device)
        if self._hubert is None:
            self._hubert = load_hubert(self.hubert_weights, config=self.hubert_config, device=self.device)
        return self._hubert, self._a2m

    def expressions(self, audio: Any) -> torch.Tensor:
        samples, n_frames = load_samples(audio)
        hubert, a2m = self.models()
        return audio_to_expression(samples, hubert, a2m, n_frames, self.options)

    def config_dict(self) -> dict:
        return {"a2m_checkpoint": None if self.a2m_checkpoint is None else str(self.a2m_checkpoint),
                "hubert_weights": str(self.hubert_weights), **self.options.to_dict()}
