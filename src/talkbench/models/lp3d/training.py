"""Training LP3D on multiview data (`talkbench fit --model lp3d`): lift one view, render it and another
camera's view, L1 against both photographs plus, where the data has foreground masks, L1 between the rendered
opacity and the mask (`w_mask`, default 1; without it a small white-background set is first fitted by an
empty volume). LP3D's own recipe (synthetic EG3D data, distillation, adversarial
phase) needs the EG3D generator; this is the small multiview stand-in that gives Coherent3D a trained teacher
where no LP3D weights exist (the mini benchmark's 8-camera set on CPU).

Options: preset (tiny on CPU, lp3d on CUDA), batch, lr, frames (comma indices), subjects, dataset/clips/serials.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ..multiview_data import frame_indices, load_training_clips
from ..training import FitReport, FitRequest, OptimiserConfig, optimise, seed_everything
from .checkpoint import load_lp3d, save_lp3d
from .config import preset as named_preset
from ..components.frames import frames_to_tensor
from .network import LP3DNetwork, camera_tensors

RECIPE = "talkbench multiview L1 (input view + one other camera), Adam"


def view_tensors(clips, frames: list[int], size: int, radius) -> tuple[list[torch.Tensor], list[tuple[torch.Tensor, torch.Tensor]]]:
    """Per clip: images (T, N, 3, size, size) in [-1, 1] and its cameras (N, 4, 4), (N, 3, 3)."""
    images, cams = [], []
    for clip in clips:
        images.append(torch.stack([frames_to_tensor([clip.frames[s][t] for s in clip.serials], size) for t in frames]))
        cams.append(camera_tensors([clip.cameras[s] for s in clip.serials], radius))
    return images, cams


def mask_tensors(clips, frames: list[int], size: int) -> list[torch.Tensor] | None:
    """Per clip: foreground masks (T, N, 1, size, size) in [0, 1], or None when a clip has none."""
    if any(c.masks is None for c in clips):
        return None
    out = []
    for clip in clips:
        m = torch.stack([torch.stack([torch.as_tensor(clip.masks[s][t], dtype=torch.float32)[None] / 255
                                      for s in clip.serials]) for t in frames])
        out.append(resize(m.flatten(0, 1), size).view(*m.shape[:3], size, size))
    return out


def resize(images: torch.Tensor, size: int) -> torch.Tensor:
    return images if images.shape[-1] == size else F.interpolate(images, size=(size, size), mode="bilinear",
                                                                 align_corners=False, antialias=True)


def fit_lp3d(request: FitRequest) -> FitReport:
    opts = request.options
    request.out.mkdir(parents=True, exist_ok=True)
    gen = seed_everything(request.seed)
    if request.init is not None:
        state, cfg, _ = load_lp3d(request.init)
    else:
        state, cfg = None, named_preset(opts.get("preset", "tiny" if request.device == "cpu" else "lp3d"))
    net = LP3DNetwork(cfg)
    if state is not None:
        net.load_state_dict(state, strict=True)
    dev = torch.device(request.device)
    net.to(dev).train()
    clips = load_training_clips(request)
    frames = frame_indices(opts.get("frames"), clips[0].n_frames)
    out_size = 512 if cfg.super_resolution else cfg.neural_rendering_resolution
    inputs, cams = view_tensors(clips, frames, cfg.image_size, cfg.camera_radius)
    targets = [resize(x.flatten(0, 1), out_size).view(*x.shape[:3], out_size, out_size) for x in inputs]
    masks = mask_tensors(clips, frames, cfg.neural_rendering_resolution)
    w_mask = float(opts.get("w_mask", 1.0)) if masks is not None else 0.0
    batch, n_cams = int(opts.get("batch", 4)), len(clips[0].serials)
    steps = request.steps or int(opts.get("steps", 400))

    def step_loss(step: int) -> torch.Tensor:
        k = torch.randint(len(clips), (batch,), generator=gen)
        t = torch.randint(len(frames), (batch,), generator=gen)
        i = torch.randint(n_cams, (batch,), generator=gen)
        j = torch.randint(n_cams, (batch,), generator=gen)
        src = torch.stack([inputs[a][b, c] for a, b, c in zip(k, t, i)]).to(dev)
        planes = net.lift(src)
        loss = 0.0
        for view in (i, j):
            c2w = torch.stack([cams[a][0][c] for a, c in zip(k, view)]).to(dev)
            ks = torch.stack([cams[a][1][c] for a, c in zip(k, view)]).to(dev)
            out = net.render(planes, c2w, ks, generator=gen)
            gt = torch.stack([targets[a][b, c] for a, b, c in zip(k, t, view)]).to(dev)
            loss = loss + (out["image"] - gt).abs().mean()
            if w_mask:
                mask = torch.stack([masks[a][b, c] for a, b, c in zip(k, t, view)]).to(dev)
                loss = loss + w_mask * (out["weights"] - mask).abs().mean()
        return loss / 2

    path = request.out / "lp3d.ckpt"
    provenance = {"trained_by": "talkbench", "recipe": RECIPE, "seed": request.seed, "frames": frames,
                  "subjects": [c.name for c in clips]}

    def save(step: int) -> None:
        save_lp3d(net.state_dict(), cfg, path, {**provenance, "steps": step}, global_step=step)

    lr = float(opts.get("lr", 2e-3 if cfg.image_size <= 128 else 1e-4))
    params = [p for p in net.parameters() if p.requires_grad]
    losses = optimise(params, step_loss, steps, OptimiserConfig(lr=lr), request.out / "fit_log.jsonl", save,
                      int(opts.get("save_every", steps)))
    if steps % int(opts.get("save_every", steps)):
        save(steps)
    return FitReport(path, steps, losses, [f"LP3D trained by talkbench ({RECIPE}) on {len(clips)} multiview subjects, "
                                           f"frames {frames}: not the paper's synthetic-data distillation"])
