"""REFERENCE ONLY: the torch box-group rasteriser as landed before issue 17 (commit 137643d), kept
verbatim (renamed entry point) so tests/test_rasterizer.py and bench/test_rasterizer_speed.py can check
that the fused kernel in talkbench.models.components.rasterizer returns bit-identical fragments and
measure the speed-up. Not used by the package.
"""
from __future__ import annotations

import torch

from talkbench.models.components.rasterizer import Fragments

_W_EPS = 1e-8


def _screen_space(verts: torch.Tensor, height: int, width: int):
    """Pixel-unit screen coordinates (pixel centres at integers), NDC z and 1/w, in float64."""
    if verts.dim() != 3 or verts.shape[-1] not in (3, 4):
        raise ValueError(f"verts must be B×V×3 (NDC) or B×V×4 (clip), got {tuple(verts.shape)}")
    v = verts.detach().to(torch.float64)
    if v.shape[-1] == 4:
        w = v[..., 3]
        ok = w > _W_EPS
        inv_w = torch.where(ok, 1.0 / torch.where(ok, w, torch.ones_like(w)), torch.zeros_like(w))
        xyz = v[..., :3] * inv_w[..., None]
    else:
        ok = torch.ones(v.shape[:2], dtype=torch.bool, device=v.device)
        inv_w = torch.ones(v.shape[:2], dtype=torch.float64, device=v.device)
        xyz = v
    sx = (xyz[..., 0] + 1.0) * (width / 2.0) - 0.5
    sy = (xyz[..., 1] + 1.0) * (height / 2.0) - 0.5
    return sx, sy, xyz[..., 2], inv_w, ok


def _edge_weights(px, py, x, y):
    """Unnormalised barycentric weights (edge functions) of points (px, py) in triangles x, y (...×3)."""
    x0, x1, x2 = x[..., 0], x[..., 1], x[..., 2]
    y0, y1, y2 = y[..., 0], y[..., 1], y[..., 2]
    e0 = (x1 - px) * (y2 - py) - (x2 - px) * (y1 - py)
    e1 = (x2 - px) * (y0 - py) - (x0 - px) * (y2 - py)
    e2 = (x0 - px) * (y1 - py) - (x1 - px) * (y0 - py)
    return e0, e1, e2


def reference_rasterize_fragments(verts: torch.Tensor, faces: torch.Tensor, height: int, width: int, *,
                        cull_backfaces: bool = False, chunk_elements: int = 1 << 22) -> Fragments:
    """Visibility of ``faces`` (F×3 long, shared by the batch) for ``verts`` (B×V×3|4); see the module doc.

    ``chunk_elements`` bounds the size of the temporary (triangles × bounding-box pixels) tensors.
    """
    if faces.dim() != 2 or faces.shape[1] != 3:
        raise ValueError(f"faces must be F×3, got {tuple(faces.shape)}")
    faces = faces.to(device=verts.device, dtype=torch.long)
    B, H, W = verts.shape[0], int(height), int(width)
    dev = verts.device
    sx, sy, z, inv_w, ok = _screen_space(verts, H, W)
    tx, ty, tz = sx[:, faces], sy[:, faces], z[:, faces]  # B×F×3
    e0, e1, e2 = _edge_weights(tx[..., 0].new_zeros(()), ty[..., 0].new_zeros(()), tx, ty)
    area = e0 + e1 + e2  # twice the signed area (the weights at the origin sum to it)
    valid = ok[:, faces].all(-1) & (area != 0)
    if cull_backfaces:
        valid &= area > 0
    x_lo = torch.ceil(tx.min(-1).values).clamp(0, W - 1)
    x_hi = torch.floor(tx.max(-1).values).clamp(-1, W - 1)
    y_lo = torch.ceil(ty.min(-1).values).clamp(0, H - 1)
    y_hi = torch.floor(ty.max(-1).values).clamp(-1, H - 1)
    valid &= (x_hi >= x_lo) & (y_hi >= y_lo) & (tx.max(-1).values >= 0) & (ty.max(-1).values >= 0)
    valid &= (tx.min(-1).values <= W - 1) & (ty.min(-1).values <= H - 1)
    b_idx, f_idx = torch.nonzero(valid, as_tuple=True)

    n_pix = B * H * W
    zbuf = torch.full((n_pix,), float("inf"), dtype=torch.float64, device=dev)
    winner = torch.full((n_pix,), torch.iinfo(torch.long).max, dtype=torch.long, device=dev)
    bary = torch.zeros(n_pix, 3, dtype=torch.float64, device=dev)
    if b_idx.numel():
        # covered pixels of every triangle, a group of similar bounding boxes at a time: nearest
        # depth per pixel first, then the lowest face index among the triangles at exactly that depth
        parts = []
        bw = (x_hi - x_lo + 1)[b_idx, f_idx].long()
        bh = (y_hi - y_lo + 1)[b_idx, f_idx].long()
        for sel in _box_groups(bw, bh, chunk_elements):
            part = _cover(b_idx[sel], f_idx[sel], x_lo, y_lo, tx, ty, tz, H, W)
            zbuf.scatter_reduce_(0, part[0], part[1], reduce="amin", include_self=True)
            parts.append(part)
        for keys, zc, fc, _ in parts:
            hit = zc == zbuf[keys]
            winner.scatter_reduce_(0, keys[hit], fc[hit], reduce="amin", include_self=True)
        for keys, zc, fc, lam in parts:
            won = (fc == winner[keys]) & (zc == zbuf[keys])  # one element per covered pixel
            bary[keys[won]] = lam[won]

    covered = winner != torch.iinfo(torch.long).max
    face_index = torch.where(covered, winner, torch.full_like(winner, -1)).view(B, H, W)
    depth = torch.where(covered, zbuf, torch.zeros_like(zbuf))
    if verts.shape[-1] == 4:  # perspective-correct: weights over w, renormalised
        pix = torch.nonzero(covered, as_tuple=True)[0]
        lam = bary[pix] * inv_w[(pix // (H * W))[:, None], faces[winner[pix]]]
        bary[pix] = lam / lam.sum(-1, keepdim=True)
    return Fragments(face_index, bary.view(B, H, W, 3).to(torch.float32), depth.view(B, H, W).to(torch.float32))


def _box_groups(bw: torch.Tensor, bh: torch.Tensor, budget: int) -> list[torch.Tensor]:
    """Triangle indices grouped by bounding-box side (rounded up to a power of two), in runs whose
    padded boxes hold at most ``budget`` pixels: each group is then rasterised as one dense block."""
    side = (2 ** torch.ceil(torch.log2(torch.maximum(bw, bh).to(torch.float64)))).long()
    pw = ph = side
    out = []
    for key in torch.unique(pw * 65536 + ph).tolist():
        idx = torch.nonzero(pw * 65536 + ph == key, as_tuple=True)[0]
        per = max(1, budget // (key // 65536 * (key % 65536)))
        out.extend(idx[i:i + per] for i in range(0, idx.numel(), per))
    return out


def _cover(b, f, x_lo, y_lo, tx, ty, tz, H, W):
    """Pixel keys, depths and face indices of every pixel covered by the triangles (b, f)."""
    x3, y3, z3 = tx[b, f], ty[b, f], tz[b, f]
    x0, y0 = x_lo[b, f], y_lo[b, f]
    kw = int((torch.floor(x3.max(-1).values).clamp(max=W - 1) - x0).max()) + 1
    kh = int((torch.floor(y3.max(-1).values).clamp(max=H - 1) - y0).max()) + 1
    # the three barycentric weights and the depth are affine in the pixel position: evaluate
    # them at the box origin and step along columns and rows
    e_o = torch.stack(_edge_weights(x0, y0, x3, y3), -1)
    e_x = torch.stack(_edge_weights(x0 + 1, y0, x3, y3), -1) - e_o
    e_y = torch.stack(_edge_weights(x0, y0 + 1, x3, y3), -1) - e_o
    area = e_o.sum(-1, keepdim=True)
    lam = torch.stack([e_o, e_x, e_y], 1) / area[:, None]  # N×3(origin, per column, per row)×3
    coef = torch.cat([lam, lam @ z3[:, :, None]], 2)  # ...×4: the weights and the depth
    dc = torch.arange(kw, dtype=torch.float64, device=tx.device)
    dr = torch.arange(kh, dtype=torch.float64, device=tx.device)
    vals = (coef[:, 0, :, None, None] + coef[:, 1, :, None, None] * dc) + coef[:, 2, :, None, None] * dr[:, None]
    # inside or on an edge (a small tolerance absorbs rounding of exactly-on-edge pixel centres)
    inside = (vals[:, :3] >= -1e-9).all(1)
    col = x0.long()[:, None, None] + dc.long()[None, None, :]
    row = y0.long()[:, None, None] + dr.long()[None, :, None]
    inside &= (col < W) & (row < H)
    n, r, c = torch.nonzero(inside, as_tuple=True)
    picked = vals.permute(0, 2, 3, 1)[n, r, c]  # M×4
    keys = b[n] * (H * W) + (y0.long()[n] + r) * W + (x0.long()[n] + c)
    return keys, picked[:, 3].contiguous(), f[n], picked[:, :3]
