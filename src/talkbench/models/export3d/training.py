"""Training Export3D (`talkbench fit --model export3d`): CLeBS contrastive pre-training, then the
generator on same-identity video pairs (source frame -> driving frame of the same clip).

Data (`--data`): a mini benchmark build (its `motion/<identity>/<track>/` clips) or any folder whose
sub-folders hold the frames of one video each. Expressions and cameras per frame come from
inputs.py (`expression_source`); frames without a face are dropped (counted in the report's notes).
The last `holdout` share of every clip's frames is never trained on (held-out evaluation frames).

Options (`--option KEY=VALUE`): `stage` clebs | generator | all (default all: pre-train then train);
`preset` paper | tiny; `clebs` a pre-trained CLeBS checkpoint for stage generator; `clebs_steps`;
`holdout` (default 0.25); `expression_source` mesh | deep3d; and any Export3DConfig field (e.g.
`expression_encoder=e2e_lebs`, `n_basis=10`, `conditioning=cross_attention`) to train an ablation row.

Losses (the paper names none; talkbench's recipe): L1 between the final image and the driving frame,
L1 between the raw H/4 render and the driving frame downsampled to H/4, and LPIPS (AlexNet) on the
final image when its weights are installed and `loss_lpips` > 0. No adversarial loss.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from ...errors import InputError
from ..training import FitReport, FitRequest, OptimiserConfig, optimise, seed_everything
from .checkpoint import load_checkpoint, save_checkpoint
from .clebs import CLeBSPretrainer
from .config import PRESETS, Export3DConfig
from .inputs import InputExtractor
from .network import Export3DNetwork

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
STAGES = ("clebs", "generator", "all")
OWN_OPTIONS = ("stage", "preset", "clebs", "clebs_steps", "holdout", "expression_source", "identities")


@dataclass
class Clip:
    name: str
    identity: str
    frames: np.ndarray        # (T, 3, H, W) float32 in [-1, 1] at the model size
    expressions: np.ndarray   # (T, 64)
    labels: np.ndarray        # (T, 25)
    n_train: int              # frames [0, n_train) are for training, the rest held out

    def __len__(self) -> int:
        return len(self.frames)


def discover_clips(root: Path) -> list[tuple[str, str, list[Path]]]:
    """(name, identity, frame files) per clip: a mini build's motion clips, or every folder of images."""
    root = Path(root)
    if (root / "generator.json").is_file() and (root / "motion").is_dir():
        folders = sorted(p for p in (root / "motion").glob("*/*") if p.is_dir())
        ident = lambda p: p.parent.name  # noqa: E731
    else:
        folders = sorted({p.parent for p in root.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES})
        ident = lambda p: p.name  # noqa: E731
    out = []
    for folder in folders:
        files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if len(files) >= 2:
            out.append((folder.relative_to(root).as_posix(), ident(folder), files))
    if not out:
        raise InputError(root, "no clip folders with at least 2 frames",
                         "pass a mini benchmark build or a folder of per-video frame folders")
    return out


def load_clips(root: Path, size: int, extractor: InputExtractor, holdout: float,
               identities: Sequence[str] | None = None) -> tuple[list[Clip], list[str]]:
    from PIL import Image

    from ..components.frames import frames_to_tensor

    clips, notes = [], []
    dropped = 0
    for name, identity, files in discover_clips(root):
        if identities is not None and identity not in identities:
            continue
        frames = [np.asarray(Image.open(f).convert("RGB")) for f in files]
        keep, exps, labels = [], [], []
        for i, frame in enumerate(frames):
            try:
                d = extractor([frame], what=f"{name}/{files[i].name}")
            except InputError:
                dropped += 1
                continue
            keep.append(i)
            exps.append(d.expressions[0])
            labels.append(d.labels[0])
        if len(keep) < 2:
            continue
        n_train = max(1, int(round(len(keep) * (1 - holdout))))
        clips.append(Clip(name, identity, np.ascontiguousarray(frames_to_tensor([frames[i] for i in keep], size).numpy()),
                          np.stack(exps), np.stack(labels), n_train))
    if dropped:
        notes.append(f"{dropped} frames without a face were left out")
    if not clips:
        raise InputError(root, "no clip has 2 frames with a face", "check the data")
    return clips, notes


def parse_options(options: dict) -> tuple[Export3DConfig, dict]:
    own = {k: options[k] for k in OWN_OPTIONS if k in options}
    preset = own.get("preset", "paper")
    if preset not in PRESETS:
        raise InputError(None, f"preset {preset!r} is not one of {sorted(PRESETS)}", "use preset=paper or preset=tiny")
    names = {f.name for f in fields(Export3DConfig)}
    rest = {k: v for k, v in options.items() if k not in OWN_OPTIONS}
    unknown = sorted(set(rest) - names)
    if unknown:
        raise InputError(None, f"unknown export3d option(s) {unknown}",
                         f"use {list(OWN_OPTIONS)} or Export3DConfig fields (docs/models.md)")
    try:
        cfg = PRESETS[preset].with_options(**{k: tuple(v) if isinstance(v, list) else v for k, v in rest.items()})
    except (ValueError, TypeError) as exc:
        raise InputError(None, f"export3d options: {exc}", "fix the --option values") from None
    stage = own.get("stage", "all")
    if stage not in STAGES:
        raise InputError(None, f"stage {stage!r} is not one of {STAGES}", "use stage=clebs, generator or all")
    own["stage"] = stage
    return cfg, own


class ClipSampler:
    """Seeded sampling of training frames (never the held-out ones)."""

    def __init__(self, clips: list[Clip], generator: torch.Generator):
        self.clips, self.gen = clips, generator

    def _int(self, n: int) -> int:
        return int(torch.randint(n, (1,), generator=self.gen))

    def video_batch(self, k: int) -> tuple[torch.Tensor, torch.Tensor]:
        """K distinct training frames of one clip: images and expressions (the CLeBS batch)."""
        clip = self.clips[self._int(len(self.clips))]
        idx = torch.randperm(clip.n_train, generator=self.gen)[:k].numpy()
        return torch.as_tensor(clip.frames[idx]), torch.as_tensor(clip.expressions[idx])

    def pairs(self, b: int):
        """B same-clip (source, driving) pairs: source image, driving image, β_D, p_D."""
        src, drv, exp, cam = [], [], [], []
        for _ in range(b):
            clip = self.clips[self._int(len(self.clips))]
            s, t = self._int(clip.n_train), self._int(clip.n_train)
            src.append(clip.frames[s])
            drv.append(clip.frames[t])
            exp.append(clip.expressions[t])
            cam.append(clip.labels[t])
        return tuple(torch.as_tensor(np.stack(a)) for a in (src, drv, exp, cam))


def training_expressions(clips: list[Clip]) -> torch.Tensor:
    return torch.as_tensor(np.concatenate([c.expressions[:c.n_train] for c in clips]))


def pretrain_clebs(cfg: Export3DConfig, clips: list[Clip], steps: int, seed: int, out: Path, device: str = "cpu",
                   log_path: Path | None = None) -> tuple[CLeBSPretrainer, list[float]]:
    gen = seed_everything(seed)
    model = CLeBSPretrainer(cfg).to(device)
    model.expression_encoder.standardise.set_statistics(training_expressions(clips))
    sampler = ClipSampler(clips, gen)
    k = min(cfg.clebs_batch_size, min(c.n_train for c in clips))
    if k < 2:
        raise InputError(None, "every clip needs at least 2 training frames for the contrastive loss", "use longer clips")

    def step_loss(step: int) -> torch.Tensor:
        images, exps = sampler.video_batch(k)
        return model(images.to(device), exps.to(device))

    losses = optimise(model.parameters(), step_loss, steps, OptimiserConfig(lr=cfg.clebs_lr), log_path)
    return model, losses


def generator_losses(cfg: Export3DConfig, out: dict, target: torch.Tensor, lpips=None) -> torch.Tensor:
    raw_target = F.interpolate(target, size=out["rgb_raw"].shape[-2:], mode="bilinear", align_corners=False,
                               antialias=True)
    loss = cfg.loss_l1 * (out["image"] - target).abs().mean() + cfg.loss_l1_raw * (out["rgb_raw"] - raw_target).abs().mean()
    if lpips is not None and cfg.loss_lpips > 0:
        loss = loss + cfg.loss_lpips * lpips(out["image"], target).mean()
    return loss


def _lpips_loss(cfg: Export3DConfig, notes: list[str]):
    if cfg.loss_lpips <= 0:
        return None
    from ...errors import MissingWeightsError, WeightsMismatchError
    from ...nets.lpips import load_lpips

    try:
        net = load_lpips("alex").network
    except (MissingWeightsError, WeightsMismatchError) as exc:  # the term is left out, and the report says so
        notes.append(f"LPIPS loss left out: {exc}")
        return None
    for p in net.parameters():
        p.requires_grad_(False)
    return net


def build_generator_network(cfg: Export3DConfig, clips: list[Clip], clebs_state: dict | None,
                            init: Path | None) -> Export3DNetwork:
    net = Export3DNetwork(cfg)
    if init is not None:
        ckpt = load_checkpoint(init)
        if ckpt.stage == "clebs":
            raise InputError(init, "--init must be a generator checkpoint", "pass the CLeBS file as --option clebs=PATH")
        net.load_state_dict(ckpt.state_dict["network"], strict=True)
    if cfg.expression_encoder == "clebs":
        if clebs_state is None and init is None:
            raise InputError(None, "expression_encoder=clebs needs a pre-trained CLeBS",
                             "use stage=all, or --option clebs=CLEBS.pt, or expression_encoder=e2e_lebs / direct")
        if clebs_state is not None:
            net.expression_encoder.load_state_dict(clebs_state, strict=True)
        net.expression_encoder.requires_grad_(False)  # "no further training is required" (§3.1)
    elif init is None:
        net.expression_encoder.standardise.set_statistics(training_expressions(clips))
    return net


def train_generator(net: Export3DNetwork, clips: list[Clip], steps: int, seed: int, device: str = "cpu",
                    log_path: Path | None = None, notes: list[str] | None = None) -> list[float]:
    cfg = net.cfg
    gen = seed_everything(seed)
    render_gen = torch.Generator(device=device).manual_seed(seed)
    sampler = ClipSampler(clips, gen)
    lpips = _lpips_loss(cfg, notes if notes is not None else [])
    net.to(device).train()

    def step_loss(step: int) -> torch.Tensor:
        src, drv, exp, cam = (t.to(device) for t in sampler.pairs(cfg.batch_size))
        out = net(src, exp, cam, generator=render_gen, update_ema=True)
        return generator_losses(cfg, out, drv, lpips)

    params = [p for p in net.parameters() if p.requires_grad]
    losses = optimise(params, step_loss, steps, OptimiserConfig(lr=cfg.lr), log_path)
    net.eval()
    return losses


def fit(request: FitRequest) -> FitReport:
    cfg, own = parse_options(dict(request.options))
    holdout = float(own.get("holdout", 0.25))
    extractor = InputExtractor(own.get("expression_source", "mesh"))
    identities = own.get("identities")
    if isinstance(identities, str):
        identities = [i for i in identities.split(",") if i]
    clips, notes = load_clips(request.data, cfg.image_size, extractor, holdout, identities)
    out = Path(request.out)
    log = out / "fit_log.jsonl"
    provenance = {"random_init": False, "seed": int(request.seed), "data": str(request.data),
                  "expression_source": extractor.source, "holdout": holdout}
    losses: list[float] = []
    clebs_state = None
    stage = own["stage"]
    if stage in ("clebs", "all"):
        steps = int(own.get("clebs_steps", cfg.clebs_steps if stage == "all" else (request.steps or cfg.clebs_steps)))
        model, losses = pretrain_clebs(cfg, clips, steps, request.seed, out, request.device, log)
        clebs_state = model.expression_encoder.state_dict()
        path = save_checkpoint(out / "export3d_clebs.pt", "clebs", cfg,
                               {"expression_encoder": clebs_state, "image_encoder": model.image_encoder.state_dict()},
                               {**provenance, "steps": steps})
        notes.append(f"CLeBS pre-training: {steps} steps, contrastive loss {losses[0]:.4g} -> {losses[-1]:.4g}")
        if stage == "clebs":
            return FitReport(path, steps, losses, notes)
    if "clebs" in own:
        ckpt = load_checkpoint(own["clebs"])
        clebs_state = ckpt.state_dict.get("expression_encoder")
        if clebs_state is None:
            raise InputError(own["clebs"], "holds no CLeBS expression encoder", "pass a stage=clebs checkpoint")
    net = build_generator_network(cfg, clips, clebs_state, request.init)
    steps = request.steps or cfg.steps
    losses = train_generator(net, clips, steps, request.seed, request.device, log, notes)
    path = save_checkpoint(out / "export3d.pt", "generator", cfg, {"network": net.state_dict()},
                           {**provenance, "steps": steps})
    (out / "export3d_config.json").write_text(json.dumps(cfg.to_dict(), indent=1) + "\n", encoding="utf-8")
    if own.get("expression_source", "mesh") == "mesh":
        notes.append("expressions and cameras from the offline mesh source, not Deep3DFaceRecon")
    return FitReport(path, steps, losses, notes)


@dataclass
class HeldOutScores:
    psnr: float                 # dB over all held-out frames (model resolution)
    aed: float | None           # mean mesh expression distance (cm) over frames where both have a face
    faces_found: float          # share of generated held-out frames where the mesh found a face
    n_frames: int
    aed_lm68: float | None = None  # expression distance of dlib-68 points in the GT's face box (None without dlib)


#: iBUG-68 indices: rigid points for the alignment, and the expression points (brows, eyes, mouth)
LM68_RIGID = (27, 28, 29, 30, 36, 39, 42, 45)
LM68_EXPRESSION = tuple(range(17, 27)) + tuple(range(36, 68))


def landmark_expression_distance(pred_lm: np.ndarray, gt_lm: np.ndarray) -> float:
    """Mean distance of the 42 expression points after aligning the prediction's rigid points onto the
    ground truth's (similarity), in units of the ground truth's outer inter-ocular distance."""
    from ...geometry import similarity_fit

    rigid = list(LM68_RIGID)
    scale, rot, t = similarity_fit(pred_lm[rigid], gt_lm[rigid])
    aligned = scale * pred_lm @ rot.T + t
    iod = float(np.linalg.norm(gt_lm[45] - gt_lm[36]))
    expr = list(LM68_EXPRESSION)
    return float(np.linalg.norm(aligned[expr] - gt_lm[expr], axis=1).mean() / iod)


def lm68_expression_distances(pred: list[np.ndarray], gt: list[np.ndarray], analysis) -> list[float]:
    """dlib's 68-point predictor on both frames inside the face box detected on the ground truth: the
    predictor always returns points, so frames the mesh cannot read (blurry early outputs) still count."""
    from ...analysis.face_analysers import largest_face
    from ...faces.landmarks import get_landmarker

    boxes = analysis.run("faces:mediapipe", gt)
    lm = get_landmarker("dlib-68")
    out = []
    for p, g, rec in zip(pred, gt, boxes):
        if rec.ok:
            box = largest_face(rec)
            out.append(landmark_expression_distance(lm(p, [box])[0], lm(g, [box])[0]))
    return out


@torch.no_grad()
def evaluate_held_out(net: Export3DNetwork, clips: list[Clip], seed: int = 0, analysis=None,
                      analysis_size: int = 256) -> HeldOutScores:
    """Frame 0 of each clip animated by its held-out frames (expression and camera of each): PSNR
    against them, and AED as aed_mediapipe defines it (pose-free 478-point meshes, mean per-point
    distance in canonical cm), both frames upsampled to `analysis_size` for the face mesh."""
    from ...faces.pose import mesh_pose

    if analysis is None:
        from ...analysis.stage import FrameAnalysis

        analysis = FrameAnalysis(cache_dir=None)
    net.eval()
    gen = torch.Generator().manual_seed(seed)
    preds, gts = [], []
    for clip in clips:
        idx = np.arange(clip.n_train, len(clip))
        if not len(idx):
            continue
        src = torch.as_tensor(clip.frames[:1]).expand(len(idx), -1, -1, -1)
        out = net(src, torch.as_tensor(clip.expressions[idx]), torch.as_tensor(clip.labels[idx]), generator=gen)
        preds.append(out["image"].clamp(-1, 1))
        gts.append(torch.as_tensor(clip.frames[idx]))
    pred, gt = torch.cat(preds), torch.cat(gts)
    to_u8 = lambda t: ((t + 1) * 127.5).round()  # noqa: E731
    mse = ((to_u8(pred) - to_u8(gt)) ** 2).mean(dim=(1, 2, 3)).clamp_min(1e-10)
    psnr = float((10 * torch.log10(255.0 ** 2 / mse)).mean())
    big = lambda t: F.interpolate(t, size=(analysis_size,) * 2, mode="bilinear", align_corners=False)  # noqa: E731
    frames = lambda t: list(to_u8(big(t)).clamp(0, 255).byte().permute(0, 2, 3, 1).numpy())  # noqa: E731
    rp = analysis.run("landmarks:mediapipe-478@mediapipe", frames(pred))
    rg = analysis.run("landmarks:mediapipe-478@mediapipe", frames(gt))
    # aed_mediapipe's formula: mean per-point distance of the two pose-free meshes (canonical cm)
    dists = [float(np.linalg.norm(mesh_pose(a["points"])["canonical_mesh"] - mesh_pose(b["points"])["canonical_mesh"],
                                  axis=1).mean()) for a, b in zip(rp, rg) if a.ok and b.ok]
    from ...faces.dlib_models import DlibUnavailable

    try:
        lm_dists = lm68_expression_distances(frames(pred), frames(gt), analysis)
    except DlibUnavailable:  # the optional dlib extra is absent: this second reading is left out, not zero
        lm_dists = []
    return HeldOutScores(psnr, float(np.mean(dists)) if dists else None, sum(r.ok for r in rp) / len(rp), len(rp),
                         float(np.mean(lm_dists)) if lm_dists else None)
