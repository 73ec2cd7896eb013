"""Training Coherent3D (`talkbench fit --model coherent3d`) on multiview data, with the paper's four losses
(seed 001 §3.5–3.7, Eq. 4, 6, 8, 9, 10):

* the frozen LP3D (`--option lp3d=CKPT`, the teacher) lifts the reference image (the rig's most frontal camera at
  frame 0) to the canonical plane and every view to a raw plane; the pseudo-ground-truth tri-plane of a frame is
  the LP3D lifting of the frontal view at that frame (the paper's T_triplaneGT);
* L_undist = L1(T_undist, T_GT); L_vis = L1 of the visibility of raw and canonical planes against the ground
  truth of visibility.py; L_fusion = mean|Δ| + |Δ|·visGT/|visGT| + |Δ|·occ/|occ| with Δ = T_fused − T_GT,
  visGT the raw plane's visibility and occ = visible in the canonical plane but not in the raw one (our reading
  of the supplement's occlusion mask); L_render = LPIPS (VGG) between the fused plane rendered at another camera
  (and the frontal one) and those photographs (`render_loss=l1` for CPU runs without the LPIPS weights);
* each sample is a short video (the training frames, in order) of one input camera, so the fuser's recurrence
  is trained; novel cameras are drawn at random. Only undistorters, visibility and fusers are optimised.

Options: preset, lp3d, batch, lr, frames, subjects, render_loss, render_resolution (no-SR configurations), w_undist/w_fusion/w_vis/w_render, dataset/clips/serials.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ..lp3d.checkpoint import load_lp3d
from ..lp3d.training import resize, view_tensors
from ..multiview_data import frame_indices, load_training_clips
from ..training import FitReport, FitRequest, OptimiserConfig, optimise, seed_everything
from .checkpoint import load_coherent3d, save_coherent3d
from .config import Coherent3DConfig, LossWeights, preset as named_preset
from .network import Coherent3DNetwork
from .visibility import visibility_ground_truth

RECIPE = "talkbench multiview: LP3D teacher pseudo-GT planes, L_undist + L_fusion + L_vis + L_render"


def masked_mean(diff: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Σ |Δ|·m / (Σ m · C): the mean of |Δ| over the texels of the mask (0 for an empty mask)."""
    m = mask.expand_as(diff)
    return (diff * m).sum() / m.sum().clamp_min(1.0)


def fusion_loss(fused: torch.Tensor, gt: torch.Tensor, vis_gt: torch.Tensor, occ: torch.Tensor) -> torch.Tensor:
    """Eq. 8; masks (B, 3, 1, h, w) are brought to the plane size by nearest-neighbour."""
    size = fused.shape[-2:]
    up = lambda m: F.interpolate(m.flatten(0, 1), size=size, mode="nearest").view(*m.shape[:3], *size)  # noqa: E731
    diff = (fused - gt).abs()
    return diff.mean() + masked_mean(diff, up(vis_gt)) + masked_mean(diff, up(occ))


class _Teacher:
    """Everything the frozen LP3D gives a clip, computed once: canonical plane, raw planes of every view,
    pseudo-GT planes, visibility ground truths and the photographs at the rendering size."""

    def __init__(self, net: Coherent3DNetwork, clips, frames: list[int], device, render_resolution: int | None = None):
        lp = net.lp3d
        cfg = lp.config
        #: rays per side of the training renders (only without SR may it differ from the configuration's)
        self.render_resolution = None if cfg.super_resolution else (render_resolution or cfg.neural_rendering_resolution)
        out_size = 512 if cfg.super_resolution else self.render_resolution
        images, self.cams = view_tensors(clips, frames, cfg.image_size, cfg.camera_radius)
        refs, _ = view_tensors(clips, [0], cfg.image_size, cfg.camera_radius)
        self.front = [c.serials.index(c.frontal()) for c in clips]
        self.raw, self.cano, self.vis_raw, self.vis_cano, self.targets = [], [], [], [], []
        with torch.no_grad():
            for k, x in enumerate(images):
                n = x.shape[1]
                raw = torch.stack([lp.lift(x[t].to(device)) for t in range(x.shape[0])])  # (T, N, 3, C, h, w)
                cano = lp.lift(refs[k][0, self.front[k]][None].to(device))
                h = raw.shape[-1]
                c2w, ks = (c.to(device) for c in self.cams[k])
                vis = lambda planes, cw, kk: visibility_ground_truth(planes, lp.decoder, lp.renderer, cw, kk, 2 * h, h // 2)  # noqa: E731
                self.vis_raw.append(torch.stack([vis(raw[t, self.front[k]].expand(n, -1, -1, -1, -1), c2w, ks)
                                                 for t in range(raw.shape[0])]))
                f = self.front[k]
                self.vis_cano.append(vis(cano, c2w[f:f + 1], ks[f:f + 1]))
                self.raw.append(raw)
                self.cano.append(cano)
                self.targets.append(resize(x.flatten(0, 1), out_size).view(*x.shape[:3], out_size, out_size).to(device))
                self.cams[k] = (c2w, ks)

    def gt(self, k: int, t: int) -> torch.Tensor:
        return self.raw[k][t, self.front[k]]


def _render_loss(kind: str, device):
    if kind == "l1":
        return lambda a, b: (a - b).abs().mean()
    if kind == "lpips":
        from ...nets.lpips import load_lpips

        net = load_lpips("vgg").network.to(device).requires_grad_(False)
        return lambda a, b: net(a, b).mean()
    raise ValueError(f"render_loss must be lpips or l1, got {kind!r}")


def fit_coherent3d(request: FitRequest) -> FitReport:
    opts = request.options
    request.out.mkdir(parents=True, exist_ok=True)
    gen = seed_everything(request.seed)
    notes = []
    state = None
    if request.init is not None:
        state, cfg, _ = load_coherent3d(request.init)
    else:
        cfg = named_preset(opts.get("preset", "tiny" if request.device == "cpu" else "paper"))
    teacher_state, teacher_random = None, state is None
    if opts.get("lp3d"):
        teacher_state, lp3d_cfg, teacher_prov = load_lp3d(opts["lp3d"])
        teacher_random = bool(teacher_prov.get("random_init"))
        cfg = Coherent3DConfig.from_dict({**cfg.to_dict(), "lp3d": lp3d_cfg.to_dict()})
    elif state is None:
        notes.append("no LP3D teacher given (--option lp3d=CKPT): the frozen lifter is a random initialisation")
    weights = LossWeights(**{k: float(opts.get(f"w_{k}", getattr(cfg.losses, k))) for k in ("undist", "fusion", "vis", "render")})
    cfg = Coherent3DConfig.from_dict({**cfg.to_dict(), "losses": weights.__dict__,
                                      "render_loss": opts.get("render_loss", cfg.render_loss)})
    net = Coherent3DNetwork(cfg)
    if state is not None:
        net.load_state_dict(state, strict=True)
    if teacher_state is not None:
        net.lp3d.load_state_dict(teacher_state, strict=True)
    dev = torch.device(request.device)
    net.to(dev).train()
    net.lp3d.eval()
    clips = load_training_clips(request)
    frames = frame_indices(opts.get("frames"), clips[0].n_frames)
    teacher = _Teacher(net, clips, frames, dev, int(opts["render_resolution"]) if opts.get("render_resolution") else None)
    render_loss = _render_loss(cfg.render_loss, dev)
    if cfg.render_loss != "lpips":
        notes.append(f"render loss {cfg.render_loss} instead of the paper's LPIPS")
    batch, n_cams = int(opts.get("batch", 4)), len(clips[0].serials)
    steps = request.steps or cfg.steps
    w = cfg.losses

    def step_loss(step: int) -> torch.Tensor:
        k = torch.randint(len(clips), (batch,), generator=gen).tolist()
        i = torch.randint(n_cams, (batch,), generator=gen).tolist()
        j = torch.randint(n_cams, (batch,), generator=gen).tolist()
        cano = torch.cat([teacher.cano[a] for a in k])
        vis_cano_gt = torch.cat([teacher.vis_cano[a] for a in k])
        hidden, total = None, 0.0
        for t in range(len(frames)):
            raw = torch.stack([teacher.raw[a][t, c] for a, c in zip(k, i)])
            gt = torch.stack([teacher.gt(a, t) for a in k])
            vis_raw_gt = torch.stack([teacher.vis_raw[a][t, c] for a, c in zip(k, i)])
            out = net(raw, cano, hidden)
            hidden = out["hidden"]
            l_undist = (out["undist"] - gt).abs().mean()
            l_vis = (out["vis_raw"] - vis_raw_gt).abs().mean() + (out["vis_cano"] - vis_cano_gt).abs().mean()
            l_fusion = fusion_loss(out["fused"], gt, vis_raw_gt, vis_cano_gt * (1 - vis_raw_gt))
            l_render = 0.0
            for view in (j, [teacher.front[a] for a in k]):  # a novel camera and the frontal one
                c2w = torch.stack([teacher.cams[a][0][c] for a, c in zip(k, view)])
                ks = torch.stack([teacher.cams[a][1][c] for a, c in zip(k, view)])
                img = net.lp3d.render(out["fused"], c2w, ks, generator=gen, resolution=teacher.render_resolution)["image"]
                target = torch.stack([teacher.targets[a][t, c] for a, c in zip(k, view)])
                l_render = l_render + render_loss(img, target) / 2
            total = total + w.undist * l_undist + w.fusion * l_fusion + w.vis * l_vis + w.render * l_render
        return total / len(frames)

    path = request.out / "coherent3d.ckpt"
    provenance = {"trained_by": "talkbench", "recipe": RECIPE, "seed": request.seed, "frames": frames,
                  "subjects": [c.name for c in clips], "lp3d": str(opts.get("lp3d")) if opts.get("lp3d") else None,
                  "teacher_random_init": teacher_random}

    def save(step: int) -> None:
        save_coherent3d(net.state_dict(), cfg, path, {**provenance, "steps": step}, global_step=step)

    params = [p for m in net.trainable_modules().values() for p in m.parameters()]
    every = int(opts.get("save_every", steps))
    losses = optimise(params, step_loss, steps, OptimiserConfig(lr=float(opts.get("lr", cfg.lr))),
                      request.out / "fit_log.jsonl", save, every)
    if steps % every:
        save(steps)
    return FitReport(path, steps, losses, notes + ["fuser: talkbench's recurrent transformer stand-in, not RVRT",
                                                   "trained on real multiview captures instead of the paper's Next3D synthetic videos"])
