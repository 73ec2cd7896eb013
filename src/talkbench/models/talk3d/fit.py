"""Person-specific fitting of Talk3D (`talkbench fit --model talk3d --data CLIP --out DIR`).

The released recipe (trainer.py): the deltaplane predictor, token encoders, audio nets and the null token
are trained with Adam (lr 5e-4) and StepLR (γ 0.98 every 2 epochs), batch 2, on L1 ×16 + LPIPS(alex) at
128² (raw render) and 512² (SR), ArcFace identity ×1, mouth L2 + LPIPS ×15, SyncNet ×0.01 after epoch 20;
the SR is tuned afterwards (lr 2e-4). Here, through the shared loop (models/training.py):
* L1 ×16 at the raw resolution, and at the SR resolution when the SR runs (`sr=1`);
* LPIPS(alex) ×1 at the same resolutions when its weights are installed (else noted);
* identity, mouth and SyncNet losses need the face parser / ArcFace / Wav2Lip expert and per-frame masks
  that the release's pre-processing makes; they are not applied (noted in the report and checkpoint);
* SR tuning is not run.
The generator personalisation (VIVE3D inversion + fine-tuning) is out of scope: pass `generator=` (G_tune.pkl)
and `w_person=` (or `identity=`); the identity tri-plane then stays fixed, as in the release. Without them
(test fits) the generator is random and, standing in for VIVE3D's generator fine-tuning, the identity
tri-plane itself is optimised jointly with the networks (`identity_lr`, default 0.05); it is saved as
`ID_triplane.pt` (with `inversion_w_person.pt`) beside the checkpoint, where the adapter finds it.

Data: `--data` is a video with its audio track, or a folder of frames with `--option audio=WAV`. Frames are
resized to the raw render resolution (and the SR's). The last 1/11 of the frames is held out (the
release's split) and never trained on. Options: tiny=1 (CPU-sized networks, config.tiny_config),
frames=N (use the first N frames), batch=B, lr=, sr=0|1, generator=, w_person=, identity=, wav2vec2=,
conditions=FILE.npz.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from ...errors import InputError, MissingWeightsError
from ..components.frames import frames_to_tensor
from ..training import FitReport, FitRequest, OptimiserConfig, optimise, seed_everything
from .audio import RANDOM_WEIGHTS, WAV2VEC2_WEIGHTS_ID, audio_condition, load_wav2vec2
from .checkpoint import load_checkpoint, save_checkpoint
from .config import RELEASED, Talk3DConfig, tiny_config
from .model import Identity, Talk3DModel, random_generator, random_identity

#: a reduced random wav2vec2 for tiny fits (same 44-d logits at 50 fps; meaningless features)
TINY_WAV2VEC2 = dict(hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64,
                     conv_dim=(32,) * 7, num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=2)
IDENTITY_FILE, W_PERSON_FILE = "ID_triplane.pt", "inversion_w_person.pt"
NOT_APPLIED = "identity, mouth and SyncNet losses not applied (need the release's face parsing, ArcFace and Wav2Lip expert)"


@dataclass
class ClipData:
    frames: torch.Tensor   # (N, 3, H, W) in [-1, 1]
    windows: torch.Tensor  # (N, 8, 44, 16)

    def split(self, fraction: float) -> tuple[np.ndarray, np.ndarray]:
        n_train = int(len(self.frames) * fraction)
        if n_train < 1 or n_train >= len(self.frames):
            raise InputError(None, f"{len(self.frames)} frames cannot be split into training and held-out frames",
                             "give a longer clip (the last 1/11 is held out)")
        return np.arange(n_train), np.arange(n_train, len(self.frames))


def _option(options: dict, key: str, default: Any, cast=str):
    value = options.get(key, default)
    if value is None:
        return None
    if cast is bool:
        return str(value).lower() in ("1", "true", "yes")
    return cast(value)


def resize(frames: torch.Tensor, size: int) -> torch.Tensor:
    return F.interpolate(frames, size=(size, size), mode="bilinear", align_corners=False, antialias=True)


def read_clip(data: Path, audio: str | None, n_frames: int | None, wav2vec2, cfg: Talk3DConfig) -> ClipData:
    """Frames at their own size in [-1, 1] and the audio windows of every frame."""
    from ...io.audio import has_audio, read_audio
    from ...io.frames import open_frames
    from .audio import SAMPLE_RATE

    frames = []
    for frame in open_frames(data):
        if frame.array is None:
            raise InputError(data, frame.error or f"frame {frame.index} cannot be read", "re-encode the clip")
        frames.append(frame.array)
        if n_frames is not None and len(frames) >= n_frames:
            break
    wav = Path(audio) if audio else (data if data.is_file() and has_audio(data) else data / "aud.wav")
    if not wav.is_file() and not (wav == data and data.is_file()):
        raise InputError(data, "no audio for the clip", "pass --option audio=WAV (or a video with an audio track, or aud.wav in the folder)")
    samples = read_audio(wav, SAMPLE_RATE).samples
    t = frames_to_tensor(frames)
    windows = audio_condition(wav2vec2, samples, len(frames), cfg.audio_window, cfg.audio_sequence)
    return ClipData(t, windows)


def lpips_loss():
    """LPIPS(alex) as a loss when its weights are installed, else None."""
    try:
        from ...nets.lpips import load_lpips

        net = load_lpips("alex").network.requires_grad_(False)
    except (MissingWeightsError, InputError, FileNotFoundError):
        return None
    return lambda a, b: net(a, b).mean()


class Talk3DFit:
    """Everything one fit holds: config, model, identity, data split; `loss` and `heldout_psnr` are public
    so that tests can check that fitting improves held-out frames."""

    def __init__(self, request: FitRequest):
        o = request.options
        self.request = request
        base = tiny_config() if _option(o, "tiny", False, bool) else RELEASED
        self.sr = _option(o, "sr", False, bool)
        self.config = replace(base, learning_rate=_option(o, "lr", base.learning_rate, float),
                              batch_size=_option(o, "batch", base.batch_size, int))
        self.notes = [NOT_APPLIED, "SR tuning stage not run"]
        self.gen = seed_everything(request.seed)
        generator_path = _option(o, "generator", None)
        if generator_path is not None:
            from ..components.eg3d import load_generator

            g = load_generator(generator_path, plane_convention="fixed",
                               neural_rendering_resolution=self.config.neural_rendering_resolution)
        else:
            g = random_generator(self.config, request.seed)
            self.notes.append("random EG3D generator and identity (no generator= given): a test fit, not a personalised model")
        torch.manual_seed(request.seed)
        self.model = Talk3DModel(self.config, g).to(request.device)
        if request.init is not None:
            self.model.networks.load_state_dict(load_checkpoint(request.init).state_dict, strict=True)
        else:
            self.model.networks.deltaplane_predictor.zero_init_last_conv()
        self.identity = self._identity(o, g)
        self.learn_identity = generator_path is None and not _option(o, "identity", None)
        if self.learn_identity:
            self.identity.planes = torch.nn.Parameter(self.identity.planes.detach().clone())
            self.notes.append("identity tri-plane optimised jointly (stand-in for VIVE3D personalisation)")
        self.identity_lr = _option(o, "identity_lr", 0.05, float)
        self.wav2vec2_setting = self._wav2vec2_setting(o)
        w2v = load_wav2vec2(self.wav2vec2_setting["weights"], device=request.device, **self.wav2vec2_setting["config"])
        clip = read_clip(request.data, _option(o, "audio", None), _option(o, "frames", None, int), w2v, self.config)
        self.sr_frames = resize(clip.frames, self.model.generator.config.image_resolution) if self.sr else None
        self.data = ClipData(resize(clip.frames, self.config.neural_rendering_resolution), clip.windows)
        self.train_idx, self.heldout_idx = self.data.split(self.config.train_fraction)
        self.lpips = lpips_loss()
        if self.lpips is None:
            self.notes.append("LPIPS(alex) not applied (weights not installed: talkbench weights import ...)")
        from .adapter import Conditions, camera_labels

        cond_path = _option(o, "conditions", None)
        n = len(self.data.frames)
        self.cond = Conditions.from_npz(cond_path).take(n) if cond_path else Conditions.neutral(n)
        self.labels = camera_labels(self.cond.yaw, self.cond.pitch)

    def _identity(self, o: dict, g) -> Identity:
        if _option(o, "identity", None):
            return Identity.from_files(o["identity"], _option(o, "w_person", None), g.num_ws)
        if _option(o, "w_person", None):
            w = torch.load(o["w_person"], map_location="cpu", weights_only=True)
            return Identity.from_generator(g, torch.as_tensor(w, dtype=torch.float32), Path(o["w_person"]).name)
        if _option(o, "generator", None):
            raise InputError(None, "a generator was given without the person's latent", "add --option w_person=inversion_w_person.pt")
        return random_identity(g, self.request.seed)

    def _wav2vec2_setting(self, o: dict) -> dict:
        weights = _option(o, "wav2vec2", None)
        tiny = self.config.plane_resolution != RELEASED.plane_resolution
        if weights is None:
            weights = RANDOM_WEIGHTS if tiny else WAV2VEC2_WEIGHTS_ID
        config = TINY_WAV2VEC2 if (weights == RANDOM_WEIGHTS and tiny) else {}
        if weights == RANDOM_WEIGHTS:
            self.notes.append("random wav2vec2 features" + (" (reduced network)" if config else ""))
        return {"weights": str(weights), "config": dict(config)}

    def render(self, idx: np.ndarray, sr: bool = False) -> dict[str, torch.Tensor]:
        dev = self.request.device
        c = self.cond
        tokens = self.model.networks.tokens(self.data.windows[idx].to(dev), c.eye[idx].to(dev), c.angle[idx].to(dev),
                                            c.landmark[idx].to(dev))
        return self.model.render(self.identity, tokens, self.labels[idx].to(dev), generator=self.gen, superresolution=sr)

    def loss(self, idx: np.ndarray) -> torch.Tensor:
        cfg = self.config
        out = self.render(idx, self.sr)
        pairs = [(out["image_raw"], self.data.frames[idx])]
        if self.sr:
            pairs.append((out["image"], self.sr_frames[idx]))
        total = 0.0
        for pred, target in pairs:
            target = target.to(pred.device)
            total = total + cfg.image_loss_weight * (pred - target).abs().mean()
            if self.lpips is not None:
                total = total + cfg.lpips_loss_weight * self.lpips(pred, target)
        return total

    @torch.no_grad()
    def heldout_psnr(self) -> float:
        """Mean PSNR (data range 2, images in [-1, 1], the trainer's `tensor2psnr`) of the held-out frames' raw renders."""
        self.model.networks.eval()
        try:
            values = []
            for i in self.heldout_idx:
                pred = self.render(np.array([i]))["image_raw"].clamp(-1, 1)
                mse = (pred - self.data.frames[i:i + 1].to(pred.device)).square().mean()
                values.append(float(10 * torch.log10(4 / mse)))
            return float(np.mean(values))
        finally:
            self.model.networks.train()

    def provenance(self) -> dict:
        return {"fitted_by_talkbench": True, "seed": int(self.request.seed), "config": self.config.to_dict(),
                "generator": "random" if _option(self.request.options, "generator", None) is None else "given",
                "wav2vec2": self.wav2vec2_setting, "notes": list(self.notes)}

    def run(self, steps: int | None = None) -> FitReport:
        req, cfg = self.request, self.config
        steps = steps or req.steps or 1000
        epoch_steps = max(1, len(self.train_idx) // cfg.batch_size)
        params: list = [{"params": list(self.model.networks.parameters())}]
        if self.learn_identity:
            params.append({"params": [self.identity.planes], "lr": self.identity_lr})
        self.model.networks.train()

        def step_loss(step: int) -> torch.Tensor:
            pick = torch.randint(len(self.train_idx), (cfg.batch_size,), generator=self.gen).numpy()
            return self.loss(self.train_idx[pick])

        out = Path(req.out)
        out.mkdir(parents=True, exist_ok=True)
        save = lambda step: self.save(out / f"{step // epoch_steps}_{step}.pt", step, epoch_steps)  # noqa: E731
        losses = optimise(params, step_loss, steps,
                          OptimiserConfig(lr=cfg.learning_rate, step_size=cfg.scheduler_step_epochs * epoch_steps, gamma=cfg.gamma),
                          log_path=out / "fit_log.jsonl", save=save, save_every=_option(req.options, "save_every", None, int))
        path = self.save(out / f"{steps // epoch_steps}_{steps}.pt", steps, epoch_steps)
        return FitReport(path, steps, losses, list(self.notes))

    def save(self, path: Path, step: int, epoch_steps: int) -> Path:
        provenance = self.provenance()
        if self.learn_identity:  # the release's cache names, beside the checkpoint
            torch.save(self.identity.planes.detach().cpu().clone(), path.parent / IDENTITY_FILE)
            torch.save(self.identity.ws[0, :1].detach().cpu().clone(), path.parent / W_PERSON_FILE)
            provenance.update(identity=IDENTITY_FILE, w_person=W_PERSON_FILE)
        return save_checkpoint(path, self.model.networks.state_dict(), epoch=step // epoch_steps, iteration=step,
                               provenance=provenance)


def fit_talk3d(request: FitRequest) -> FitReport:
    return Talk3DFit(request).run()
