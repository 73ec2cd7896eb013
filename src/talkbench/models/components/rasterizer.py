"""A batched triangle rasteriser in plain torch: z-buffer visibility and barycentric interpolation.

Used to render textured meshes (the mini benchmark's multiview set, mesh-guided image warps) and
per-vertex attributes such as PNCC codes. No custom kernels, no gradients through visibility
(attribute interpolation is differentiable with respect to ``attrs``).

Conventions (all functions below)
---------------------------------
* ``verts`` is ``B×V×3`` normalised device coordinates (x, y, z) or ``B×V×4`` clip coordinates
  (x, y, z, w), which are divided by w. Triangles with a vertex at ``w <= 1e-8`` (behind the eye)
  are dropped whole: there is no near-plane clipping. There is no depth clipping either.
* Screen mapping: x = -1 is the left edge of the image and x = +1 its right edge; y = -1 is the
  TOP edge and y = +1 the bottom edge (y points down, as image rows and OpenCV cameras do).
  The centre of pixel (row r, column c) is at x = (2c + 1)/W - 1, y = (2r + 1)/H - 1.
* A pixel is covered by a triangle when its centre lies inside the triangle or on its boundary
  (so two triangles sharing an edge both cover the pixels on it; the z-buffer picks one).
  Zero-area triangles cover nothing. Both windings are drawn unless ``cull_backfaces`` is set, in
  which case only triangles whose vertices run CLOCKWISE as seen on the image (rows down) are kept
  (e.g. top-left, top-right, bottom-left), i.e. counter-clockwise in a y-up view, OpenGL's front
  face; the other winding is dropped.
* Depth is the NDC z interpolated linearly in screen space (z/w is affine in screen space for a
  perspective projection); SMALLER z is NEARER. Among triangles at exactly equal depth at a pixel
  the one with the lowest index in ``faces`` wins, so results are deterministic.
* Barycentric weights are perspective-correct for clip-space input (weights divided by w and
  renormalised) and plain screen-space weights for NDC input.
* Uncovered pixels: face index -1, barycentrics 0, image 0, mask 0, depth 0.
"""
from __future__ import annotations

from dataclasses import dataclass
import torch

_W_EPS = 1e-8


@dataclass
class Fragments:
    """Per-pixel visibility: which face covers each pixel and where inside it."""

    face_index: torch.Tensor  # B×H×W long, index into faces, -1 where uncovered
    bary: torch.Tensor  # B×H×W×3 float32, (perspective-correct) barycentric weights of the face's 3 vertices
    depth: torch.Tensor  # B×H×W float32, NDC z of the visible surface, 0 where uncovered

    @property
    def mask(self) -> torch.Tensor:
        return self.face_index >= 0


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


def rasterize_fragments(verts: torch.Tensor, faces: torch.Tensor, height: int, width: int, *,
                        cull_backfaces: bool = False, chunk_elements: int = 1 << 22) -> Fragments:
    """Visibility of ``faces`` (F×3 long, shared by the batch) for ``verts`` (B×V×3|4); see the module doc.

    Per-triangle set-up (screen positions, culling, bounding boxes, the affine barycentric/depth
    coefficients) is vectorised in torch; coverage and the z-test run in one compiled pass over each
    triangle's bounding box (numba, :func:`raster_kernel.zbuffer`), in face order, so ties keep the lowest index.
    Tensors on another device are rasterised on the CPU and the fragments moved back.
    ``chunk_elements`` is accepted for compatibility and ignored (there are no per-triangle temporaries now).
    """
    if faces.dim() != 2 or faces.shape[1] != 3:
        raise ValueError(f"faces must be F×3, got {tuple(faces.shape)}")
    dev = verts.device
    verts = verts.detach().cpu()
    faces = faces.to(device="cpu", dtype=torch.long)
    B, H, W = verts.shape[0], int(height), int(width)
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
    b_idx, f_idx = torch.nonzero(valid, as_tuple=True)  # batch-major, faces ascending within a batch

    coef = _affine_coefficients(tx[b_idx, f_idx], ty[b_idx, f_idx], tz[b_idx, f_idx], x_lo[b_idx, f_idx], y_lo[b_idx, f_idx])
    boxes = torch.stack([b_idx, f_idx, x_lo[b_idx, f_idx].long(), x_hi[b_idx, f_idx].long(),
                         y_lo[b_idx, f_idx].long(), y_hi[b_idx, f_idx].long()], 1)
    from .raster_kernel import zbuffer  # numba: imported (and compiled, once) on first use

    # outputs allocated by torch (whose freed blocks are reused call after call) and filled by the kernel
    face_index = torch.empty(B, H, W, dtype=torch.long)
    bary = torch.empty(B, H, W, 3, dtype=torch.float32)
    depth = torch.empty(B, H, W, dtype=torch.float32)
    zbuf, win = torch.empty(B * H * W, dtype=torch.float64), torch.empty(B * H * W, dtype=torch.int32)
    zbuffer(boxes.numpy(), coef.numpy(), faces.numpy(), inv_w.numpy(), verts.shape[-1] == 4, B, H, W, zbuf.numpy(),
            win.numpy(), face_index.view(-1).numpy(), bary.view(-1, 3).numpy(), depth.view(-1).numpy())
    return Fragments(face_index.to(dev), bary.to(dev), depth.to(dev))


def _affine_coefficients(x3, y3, z3, x0, y0) -> torch.Tensor:
    """N×3×4 float64: the three barycentric weights and the depth of each triangle at its box origin
    (x0, y0), and their steps per column and per row (they are affine in the pixel position)."""
    e_o = torch.stack(_edge_weights(x0, y0, x3, y3), -1)
    e_x = torch.stack(_edge_weights(x0 + 1, y0, x3, y3), -1) - e_o
    e_y = torch.stack(_edge_weights(x0, y0 + 1, x3, y3), -1) - e_o
    area = e_o.sum(-1, keepdim=True)
    lam = torch.stack([e_o, e_x, e_y], 1) / area[:, None]  # N×3(origin, per column, per row)×3
    return torch.cat([lam, lam @ z3[:, :, None]], 2).contiguous()


def interpolate(fragments: Fragments, faces: torch.Tensor, attrs: torch.Tensor) -> torch.Tensor:
    """Per-pixel attributes B×C×H×W: the visible face's vertex attributes (B×V×C) mixed by barycentrics."""
    fi = fragments.face_index
    B, H, W = fi.shape
    if attrs.dim() != 3 or attrs.shape[0] != B:
        raise ValueError(f"attrs must be B×V×C with B={B}, got {tuple(attrs.shape)}")
    faces = faces.to(device=attrs.device, dtype=torch.long)
    safe = fi.clamp(min=0)
    vidx = faces[safe]  # B×H×W×3
    gathered = torch.gather(attrs, 1, vidx.reshape(B, -1, 1).expand(-1, -1, attrs.shape[2]))
    gathered = gathered.view(B, H, W, 3, attrs.shape[2])
    out = (gathered * fragments.bary.to(attrs.dtype)[..., None]).sum(3)
    out = out * fragments.mask[..., None].to(attrs.dtype)
    return out.permute(0, 3, 1, 2).contiguous()


def rasterize(verts: torch.Tensor, faces: torch.Tensor, attrs: torch.Tensor, height: int, width: int, *,
              cull_backfaces: bool = False) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Render per-vertex ``attrs`` (B×V×C) of the mesh (``verts`` B×V×3|4, ``faces`` F×3 long).

    Returns ``(image B×C×H×W, mask B×1×H×W, depth B×1×H×W)``: interpolated attributes of the
    nearest surface, 1.0 where a face covers the pixel centre, and its NDC z (see the module doc
    for the screen convention, coverage and tie rules; uncovered pixels are 0 in all three).
    """
    frags = rasterize_fragments(verts, faces, height, width, cull_backfaces=cull_backfaces)
    image = interpolate(frags, faces, attrs)
    return image, frags.mask[:, None].to(image.dtype), frags.depth[:, None].to(image.dtype)



def project_points(points: torch.Tensor, world2cam: torch.Tensor, intrinsics: torch.Tensor, near: float = 1e-2) -> torch.Tensor:
    """World points (B×V×3) to clip coordinates (B×V×4) for OpenCV cameras.

    ``world2cam`` is B×4×4 (camera x right, y down, z forward) and ``intrinsics`` B×3×3 normalised by
    the image size (fx/W, fy/H, cx/W, cy/H). Screen x, y follow the module's convention (x_ndc =
    2(fx·X/Z + cx) - 1, y likewise, so y points down); w = Z, and the NDC depth is 1 - near/Z
    (increasing with distance, so the z-buffer keeps the nearest point; points nearer than ``near``
    get negative depth but are still drawn, points behind the camera drop their triangles).
    """
    homo = torch.cat([points, torch.ones_like(points[..., :1])], -1)
    cam = homo @ world2cam.transpose(1, 2)
    X, Y, Z = cam[..., 0], cam[..., 1], cam[..., 2]
    fx, fy = intrinsics[:, 0, 0, None], intrinsics[:, 1, 1, None]
    cx, cy = intrinsics[:, 0, 2, None], intrinsics[:, 1, 2, None]
    return torch.stack([2 * fx * X + (2 * cx - 1) * Z, 2 * fy * Y + (2 * cy - 1) * Z, Z - near, Z], -1)


__all__ = ["Fragments", "rasterize", "rasterize_fragments", "interpolate", "project_points"]
