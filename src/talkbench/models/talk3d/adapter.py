"""`talk3d` as a TalkingHeadModel: person-specific, audio-driven (Ko et al., Talk3D; cvlab-kaist/Talk3D).

    talkbench run --protocol person-specific --data VIDEOS --model talk3d --checkpoint May_demo.pt \
        --model-option generator=G_tune.pkl --model-option w_person=inversion_w_person.pt \
        [--model-option identity=ID_triplane.pt] [--model-option conditions=conditions.npz]

The person is fixed by the options, not by the source frames (Talk3D is fitted to one person: the release's
VIVE3D pre-processing personalises EG3D and inverts the video, which talkbench does not re-implement):
* `generator`: the personalised EG3D (`G_tune.pkl`) or `ffhq-fixed-triplane512-128.pkl` (EG3D `.pkl` /
  Live3DPortrait `.pth`, read without running pickled code); it supplies the decoder and the EG3D SR;
* `w_person`: `inversion_w_person.pt` (the SR's style; with `generator` and no `identity`, also the planes);
* `identity`: a cached `ID_triplane.pt` (skips running the generator's backbone).
Per-frame conditions (`conditions=FILE.npz` with `eye` (N,), `angle` (N, 3), `landmark` (N, 3, 2), `yaw`,
`pitch` (N,)) are the release's au.csv / angles.pt / landmarks.pt / inversion angles of the test frames;
without them the blink, angle and landmark inputs are 0 and the camera is frontal (noted in the run).

A checkpoint written by `talkbench init-checkpoint --model talk3d` is a random initialisation: then the
generator, the identity and (unless wav2vec2 weights are given) the audio network are random too, and the
run says its numbers are meaningless.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch

from ...errors import InputError
from ..components.frames import tensor_to_frame
from ..base import Camera, ModelInfo, TalkingHeadModel
from ..components.cameras import camera_from_angles, camera_to_label
from .audio import RANDOM_WEIGHTS, SAMPLE_RATE, WAV2VEC2_WEIGHTS_ID, audio_condition, load_wav2vec2
from .checkpoint import load_checkpoint, save_checkpoint
from .config import RELEASED, Talk3DConfig
from .model import Identity, Talk3DModel, generator_config, random_generator, random_identity
from .networks import Talk3DNetworks

NEUTRAL_NOTE = ("no per-frame conditions given (conditions=...npz): blink, head-angle and landmark tokens are 0 and the "
                "camera is frontal, unlike the release, which reads them from the test frames' pre-processing")


@dataclass
class _State:
    size: tuple[int, int]


@dataclass
class Conditions:
    """Per-frame non-audio inputs (the release's au.csv AU45, angles.pt, landmarks.pt, inversion angles)."""

    eye: torch.Tensor       # (N, 1)
    angle: torch.Tensor     # (N, 3)
    landmark: torch.Tensor  # (N, 6)
    yaw: torch.Tensor       # (N,)
    pitch: torch.Tensor     # (N,)

    @classmethod
    def neutral(cls, n: int) -> "Conditions":
        return cls(torch.zeros(n, 1), torch.zeros(n, 3), torch.zeros(n, 6), torch.zeros(n), torch.zeros(n))

    @classmethod
    def from_npz(cls, path: str | Path) -> "Conditions":
        data = np.load(path)
        missing = [k for k in ("eye", "angle", "landmark", "yaw", "pitch") if k not in data]
        if missing:
            raise InputError(path, f"missing arrays {missing}", "save eye (N,), angle (N,3), landmark (N,3,2), yaw, pitch (N,)")
        t = lambda k: torch.as_tensor(np.asarray(data[k], dtype=np.float32))  # noqa: E731
        n = len(t("eye"))
        return cls(t("eye").reshape(n, 1).clamp(0, 2), t("angle").reshape(n, 3), t("landmark").reshape(n, 6),
                   t("yaw").reshape(n), t("pitch").reshape(n))

    def __len__(self) -> int:
        return len(self.eye)

    def take(self, n: int) -> "Conditions":
        """The first n frames; the last frame repeats when there are fewer."""
        idx = torch.arange(n).clamp(max=len(self) - 1)
        return Conditions(self.eye[idx], self.angle[idx], self.landmark[idx], self.yaw[idx], self.pitch[idx])


def camera_labels(yaw: torch.Tensor, pitch: torch.Tensor) -> torch.Tensor:
    return torch.stack([torch.as_tensor(camera_to_label(camera_from_angles(float(y), float(p))), dtype=torch.float32)
                        for y, p in zip(yaw, pitch)])


def read_audio_input(audio: Any) -> tuple[np.ndarray, int | None]:
    """(16 kHz samples, frames wanted or None) from an AudioSpan, a file path or an array."""
    from ...io.audio import AudioSpan, read_audio

    if isinstance(audio, AudioSpan):
        return audio.read(SAMPLE_RATE), audio.n_frames
    if isinstance(audio, (str, Path)):
        return read_audio(audio, SAMPLE_RATE).samples, None
    return np.asarray(audio), None


class Talk3D(TalkingHeadModel):
    info = ModelInfo(
        name="talk3d", kind="audio-driven",
        description="Talk3D: person-specific audio-driven delta-planes on a personalised EG3D (released-code layout)",
        paper="Ko et al., Talk3D: High-Fidelity Talking Portrait Synthesis via Personalized 3D Generative Prior",
        config=RELEASED.to_dict())
    needs = ("audio",)

    def __init__(self, checkpoint: str | None = None, sha256: str | None = None, generator: str | None = None,
                 identity: str | None = None, w_person: str | None = None, conditions: str | None = None,
                 superresolution: str = "eg3d", gfpgan_weights: str | None = None, wav2vec2_weights: str | None = None,
                 device: str = "cpu", seed: int = 0, output_size: int | None = None,
                 neural_rendering_resolution: int | None = None, num_samples: int | None = None,
                 lip_smoothing: bool = False, batch_size: int = 1):
        """`neural_rendering_resolution` / `num_samples` (coarse = fine) override the released 128² / 48+48
        for quick CPU runs (the notes say so); `lip_smoothing` is the release's --lip_smoothing (0.2)."""
        self.device, self.seed, self.output_size, self.batch_size = torch.device(device), int(seed), output_size, int(batch_size)
        self.checkpoint, self.lip_smoothing, self.notes = checkpoint, bool(lip_smoothing), []
        ckpt = load_checkpoint(checkpoint, sha256) if checkpoint is not None else None
        self.provenance = ckpt.provenance if ckpt is not None else {"random_init": True, "seed": self.seed}
        self.random_init = bool(self.provenance.get("random_init"))
        saved = self.provenance.get("config")
        cfg = Talk3DConfig(**{**saved, "camera_pivot": tuple(saved["camera_pivot"])}) if isinstance(saved, dict) else RELEASED
        overrides = {k: v for k, v in (("neural_rendering_resolution", neural_rendering_resolution),
                                       ("num_samples_coarse", num_samples), ("num_samples_fine", num_samples),
                                       ("superresolution", superresolution)) if v is not None}
        self.config = replace(cfg, **overrides)
        g = self._generator(generator)
        torch.manual_seed(self.seed)
        self.model = Talk3DModel(self.config, g, self._gfpgan(gfpgan_weights))
        if ckpt is not None:
            self.model.networks.load_state_dict(ckpt.state_dict, strict=True)
            if ckpt.superresolution is not None and self.config.superresolution == "gfpgan":
                self.model.gfpgan.load_state_dict(ckpt.superresolution, strict=True)
        self.model.eval().to(self.device)
        if identity is None and w_person is None and checkpoint is not None and self.provenance.get("identity"):
            # a talkbench test fit saved the identity it learned beside its checkpoint
            identity = str(Path(checkpoint).parent / self.provenance["identity"])
            w_person = str(Path(checkpoint).parent / self.provenance["w_person"])
        self.identity = self._identity(identity, w_person)
        self.conditions = Conditions.from_npz(conditions) if conditions else None
        fitted = self.provenance.get("wav2vec2") if isinstance(self.provenance.get("wav2vec2"), dict) else None
        if wav2vec2_weights is None:
            wav2vec2_weights = fitted["weights"] if fitted else RANDOM_WEIGHTS if self.random_init else WAV2VEC2_WEIGHTS_ID
        self.wav2vec2_weights, self._wav2vec2 = str(wav2vec2_weights), None
        #: a reduced random wav2vec2 recorded by a tiny test fit is rebuilt identically
        self.wav2vec2_config = dict(fitted["config"]) if fitted and fitted["weights"] == self.wav2vec2_weights else {}

    # -- construction pieces ---------------------------------------------------------------------
    def _generator(self, path: str | None):
        from ..components.eg3d import load_generator

        if path is not None:
            g = load_generator(path, plane_convention="fixed",
                               neural_rendering_resolution=self.config.neural_rendering_resolution,
                               depth_resolution=self.config.num_samples_coarse,
                               depth_resolution_importance=self.config.num_samples_fine)
            self.notes.append(f"generator {Path(path).name}")
            return g
        if self.random_init or self.provenance.get("generator") == "random":
            return random_generator(self.config, int(self.provenance.get("seed", self.seed)))
        raise InputError(None, "Talk3D renders through a personalised EG3D generator, and none was given",
                         "pass --model-option generator=G_tune.pkl (VIVE3D's personalised generator; see docs/models.md)")

    def _gfpgan(self, weights: str | None):
        if self.config.superresolution != "gfpgan":
            return None
        from ..components.gfpgan import GFPGANv1Clean, load_gfpgan_params

        net = GFPGANv1Clean()
        if weights is not None:
            net.load_state_dict(load_gfpgan_params(weights), strict=True)
        elif not self.random_init:
            raise InputError(None, "superresolution=gfpgan needs GFPGANv1.3.pth",
                             "pass --model-option gfpgan_weights=GFPGANv1.3.pth")
        return net

    def _identity(self, identity: str | None, w_person: str | None) -> Identity:
        g = self.model.generator
        if identity is not None:
            ident = Identity.from_files(identity, w_person, g.num_ws)
        elif w_person is not None:
            w = torch.load(w_person, map_location="cpu", weights_only=True)
            ident = Identity.from_generator(g, torch.as_tensor(w, dtype=torch.float32), Path(w_person).name)
        elif self.random_init or self.provenance.get("generator") == "random":
            ident = random_identity(g, int(self.provenance.get("seed", self.seed)))
        else:
            raise InputError(None, "Talk3D needs the person's identity",
                             "pass --model-option w_person=inversion_w_person.pt (and/or identity=ID_triplane.pt)")
        return Identity(ident.planes.to(self.device), None if ident.ws is None else ident.ws.to(self.device), ident.source)

    # -- checkpoints -----------------------------------------------------------------------------
    @classmethod
    def from_checkpoint(cls, path, sha256: str | None = None, **kwargs) -> "Talk3D":
        return cls(checkpoint=str(path), sha256=sha256, **kwargs)

    @classmethod
    def write_random_checkpoint(cls, path, seed: int = 0, config: Talk3DConfig | None = None) -> Path:
        """Random-initialised networks in the released container, marked as such (pipeline tests)."""
        cfg = config or RELEASED
        torch.manual_seed(seed)
        net = Talk3DNetworks(cfg)
        return save_checkpoint(path, net.state_dict(), provenance={"random_init": True, "seed": int(seed),
                                                                   "config": cfg.to_dict()})

    @classmethod
    def parameter_table(cls) -> list[dict]:
        from ..components.eg3d import TriPlaneGenerator
        from ..parameters import parameter_rows

        with torch.device("meta"):
            net, g = Talk3DNetworks(RELEASED), TriPlaneGenerator(generator_config(RELEASED))
        return parameter_rows(net, "talk3d", depth=2) + parameter_rows(g, "eg3d_generator (frozen)", depth=1)

    @classmethod
    def fit(cls, request):
        from .fit import fit_talk3d

        return fit_talk3d(request)

    # -- running ----------------------------------------------------------------------------------
    def comparability_notes(self) -> list[str]:
        notes = []
        if self.random_init:
            what = "no checkpoint" if self.checkpoint is None else f"checkpoint {Path(self.checkpoint).name} is a random initialisation written by talkbench"
            notes.append(f"talk3d: {what} (seed {self.provenance.get('seed')}); generator, identity"
                         f"{' and wav2vec2' if self.wav2vec2_weights == RANDOM_WEIGHTS else ''} random too: numbers are meaningless")
        if self.provenance.get("generator") == "random" and not self.random_init:
            notes.append("talk3d: the generator and identity are random (a talkbench test fit): numbers are meaningless")
        if self.provenance.get("fitted_by_talkbench"):
            notes.append("talk3d: checkpoint fitted by talkbench (" + "; ".join(self.provenance.get("notes", [])) + ")")
        if self.wav2vec2_weights == RANDOM_WEIGHTS and not self.random_init:
            notes.append("talk3d: wav2vec2 weights are random: numbers are meaningless")
        changed = [f"{k}={v}" for k, v in self.config.to_dict().items() if v != getattr(RELEASED, k)]
        if changed:
            notes.append("talk3d: settings differ from the released model (" + ", ".join(changed) + ")")
        if self.conditions is None:
            notes.append("talk3d: " + NEUTRAL_NOTE)
        return notes

    def config_dict(self) -> dict[str, Any]:
        return {**self.config.to_dict(), "checkpoint": self.checkpoint, "checkpoint_provenance": self.provenance,
                "identity": self.identity.source, "wav2vec2_weights": self.wav2vec2_weights, "seed": self.seed,
                "lip_smoothing": self.lip_smoothing, "conditions": self.conditions is not None, "notes": list(self.notes)}

    def prepare(self, source: Sequence[np.ndarray]) -> _State:
        return _State(tuple(np.asarray(source[0]).shape[:2]))

    def wav2vec2(self):
        if self._wav2vec2 is None:
            self._wav2vec2 = load_wav2vec2(self.wav2vec2_weights, device=str(self.device), **self.wav2vec2_config)
        return self._wav2vec2

    @torch.no_grad()
    def audio_windows(self, audio: Any) -> torch.Tensor:
        samples, n_frames = read_audio_input(audio)
        cfg = self.config
        return audio_condition(self.wav2vec2(), samples, n_frames, cfg.audio_window, cfg.audio_sequence)

    @torch.no_grad()
    def animate(self, state: _State, driving=None, cameras: Sequence[Camera] | None = None, audio=None, gt=None):
        if audio is None:
            raise InputError(None, "Talk3D is audio-driven and this item has no audio", "run it on an audio protocol")
        windows = self.audio_windows(audio).to(self.device)
        n = len(windows)
        cond = (self.conditions.take(n) if self.conditions is not None else Conditions.neutral(n))
        labels = camera_labels(cond.yaw, cond.pitch).to(self.device)
        size = (self.output_size,) * 2 if self.output_size else state.size
        gen = torch.Generator(device=self.device).manual_seed(self.seed)
        frames, previous = [], None
        for start in range(0, n, self.batch_size):
            sl = slice(start, start + self.batch_size)
            audio_tok = self.model.networks.audio_token(windows[sl])
            if self.lip_smoothing:  # the release smooths token by token: 0.2·previous + 0.8·current
                smoothed = []
                for tok in audio_tok:
                    tok = tok if previous is None else self.config.lip_smoothing * previous + (1 - self.config.lip_smoothing) * tok
                    smoothed.append(tok)
                    previous = tok
                audio_tok = torch.stack(smoothed)
            tokens = self.model.networks.tokens(None, cond.eye[sl].to(self.device), cond.angle[sl].to(self.device),
                                                cond.landmark[sl].to(self.device), audio_token=audio_tok)
            out = self.model.render(self.identity, tokens, labels[sl], generator=gen)
            for img in out["image"]:
                frames.append(tensor_to_frame(img, size))
        return frames


