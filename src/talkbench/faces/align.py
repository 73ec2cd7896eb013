"""Alignment templates: the ArcFace 112×112 five-point warp, Deep3DFaceRecon's POS crop and the FAN crop.

Facts (see shared/specs/metrics.md §1.4, §2.3, §3.2):
* ArcFace: least-squares similarity (rotation, uniform scale, translation) from the five detected
  points onto the insightface template, then an affine warp with border 0. Sizes that are
  multiples of 112 scale the template by size/112; multiples of 128 scale by size/128 and shift x
  by 8·size/128 (insightface `estimate_norm`).
* Deep3DFaceRecon: a POS affine camera fit of the BFM 5-point 3-D template to the five points
  (y flipped upward), s = 102 / mean row norm, PIL-bicubic resize of the whole frame by s, and a
  224×224 crop centred on the fitted translation.
* FAN (face-alignment): centre = box centre moved up by 0.12·height, scale = (w + h) / 195, a
  256×256 crop of 200·scale pixels.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..geometry import similarity_fit

#: insightface `arcface_dst` for a 112×112 crop: image-left eye, image-right eye, nose, mouth corners
ARCFACE_TEMPLATE_112 = np.array(
    [[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366], [41.5493, 92.3655], [70.7299, 92.2041]],
    dtype=np.float64,
)

#: Deep3DFaceRecon `load_lm3d` five points (x, y, z), from BFM/similarity_Lm3D_all.mat (y up)
DEEP3D_LM3D_5 = np.array(
    [[-0.31149, 0.29036, 0.13378], [0.30980, 0.28972, 0.13180], [0.00325, -0.04618, 0.55244],
     [-0.25217, -0.38134, 0.22406], [0.24847, -0.38128, 0.22236]],
    dtype=np.float64,
)


def arcface_template(size: int = 112) -> np.ndarray:
    """The ArcFace five-point template for a size×size crop (insightface's rule)."""
    if size % 112 == 0:
        return ARCFACE_TEMPLATE_112 * (size / 112.0)
    if size % 128 == 0:
        ratio = size / 128.0
        return ARCFACE_TEMPLATE_112 * ratio + np.array([8.0 * ratio, 0.0])
    raise ValueError(f"ArcFace crops are multiples of 112 or 128 pixels, got {size}")


def estimate_similarity(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """2×3 least-squares similarity mapping src points onto dst points (Umeyama 1991, no reflection)."""
    src = np.asarray(src, dtype=np.float64)
    if src.ndim != 2 or src.shape[1] != 2:
        raise ValueError(f"need N×2 point sets, got {src.shape}")
    scale, rot, t = similarity_fit(src, dst)
    return np.concatenate([scale * rot, t[:, None]], axis=1)


def apply_affine(m: np.ndarray, pts: np.ndarray) -> np.ndarray:
    pts = np.asarray(pts, dtype=np.float64)
    return pts @ m[:, :2].T + m[:, 2]


def warp_affine(image: np.ndarray, m: np.ndarray, size: int | tuple[int, int], border_value: float = 0.0) -> np.ndarray:
    """cv2.warpAffine with bilinear interpolation and a constant border (insightface `norm_crop`)."""
    import cv2

    w, h = (size, size) if isinstance(size, int) else size
    return cv2.warpAffine(np.ascontiguousarray(image), m.astype(np.float64), (w, h), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=border_value)


def arcface_matrix(points5: np.ndarray, size: int = 112) -> np.ndarray:
    return estimate_similarity(points5, arcface_template(size))


def arcface_crop(image: np.ndarray, points5: np.ndarray, size: int = 112) -> tuple[np.ndarray, np.ndarray]:
    """(size×size aligned crop, its 2×3 matrix) for the five detected points."""
    m = arcface_matrix(points5, size)
    return warp_affine(image, m, size), m


def points5_from_68(pts68: np.ndarray, eye: str = "corners") -> np.ndarray:
    """Five points from iBUG-68: eye = "corners" (mean of 36&39 / 42&45, Deep3D and OTAvatar) or "six" (mean of 36–41 / 42–47)."""
    p = np.asarray(pts68, dtype=np.float64)[:, :2]
    if eye == "corners":
        left, right = p[[36, 39]].mean(axis=0), p[[42, 45]].mean(axis=0)
    elif eye == "six":
        left, right = p[36:42].mean(axis=0), p[42:48].mean(axis=0)
    else:
        raise ValueError(f"eye must be 'corners' or 'six', got {eye!r}")
    return np.stack([left, right, p[30], p[48], p[54]])


# -- Deep3DFaceRecon POS alignment ---------------------------------------------------------------
@dataclass(frozen=True)
class Deep3DTransform:
    """`trans_params` of Deep3DFaceRecon: original size, resize factor and fitted translation (y up)."""

    w0: int
    h0: int
    s: float
    tx: float
    ty: float
    left: int
    up: int

    def to_crop(self, pts: np.ndarray) -> np.ndarray:
        """Frame pixel coordinates (y down) -> coordinates in the 224 crop."""
        pts = np.asarray(pts, dtype=np.float64)
        w, h = int(self.w0 * self.s), int(self.h0 * self.s)
        x = pts[:, 0] * (w / self.w0) - self.left
        y = pts[:, 1] * (h / self.h0) - self.up
        return np.stack([x, y], axis=1)


def pos_fit(points2d: np.ndarray, points3d: np.ndarray) -> tuple[np.ndarray, float]:
    """Least-squares affine camera (2×4) from 3-D to 2-D points; returns (translation, mean row norm)."""
    n = len(points2d)
    a = np.zeros((2 * n, 8))
    a[0::2, 0:3] = points3d
    a[0::2, 3] = 1.0
    a[1::2, 4:7] = points3d
    a[1::2, 7] = 1.0
    b = np.asarray(points2d, dtype=np.float64).reshape(-1)
    k, *_ = np.linalg.lstsq(a, b, rcond=None)
    r1, r2 = k[0:3], k[4:7]
    scale = (np.linalg.norm(r1) + np.linalg.norm(r2)) / 2.0
    return np.array([k[3], k[7]]), float(scale)


def deep3d_align(image: np.ndarray, points5: np.ndarray, target_size: int = 224,
                 rescale_factor: float = 102.0) -> tuple[np.ndarray, Deep3DTransform]:
    """Deep3DFaceRecon `align_img`: POS fit, PIL-bicubic resize by 102/s, target_size crop."""
    from PIL import Image

    h0, w0 = image.shape[:2]
    lm = np.asarray(points5, dtype=np.float64).copy()
    lm[:, 1] = h0 - 1 - lm[:, 1]  # Deep3D's landmark convention stores y upward
    t, s = pos_fit(lm, DEEP3D_LM3D_5)
    s = rescale_factor / s
    w, h = int(w0 * s), int(h0 * s)
    left = int(w / 2 - target_size / 2 + float((t[0] - w0 / 2) * s))
    up = int(h / 2 - target_size / 2 + float((h0 / 2 - t[1]) * s))
    resized = Image.fromarray(image).resize((w, h), resample=Image.BICUBIC)
    crop = np.asarray(resized.crop((left, up, left + target_size, up + target_size)))
    return crop, Deep3DTransform(w0, h0, s, float(t[0]), float(t[1]), left, up)


# -- FAN crop ------------------------------------------------------------------------------------
FAN_REFERENCE_SCALE = 195.0
FAN_CENTER_Y_OFFSET = 0.12


def fan_center_scale(box: tuple[float, float, float, float]) -> tuple[np.ndarray, float]:
    x0, y0, x1, y1 = box
    center = np.array([(x0 + x1) / 2.0, (y0 + y1) / 2.0 - FAN_CENTER_Y_OFFSET * (y1 - y0)])
    return center, ((x1 - x0) + (y1 - y0)) / FAN_REFERENCE_SCALE


def fan_matrix(box: tuple[float, float, float, float], resolution: int = 256) -> np.ndarray:
    """2×3 map from frame pixels to the FAN crop: p -> (p − centre)·res/(200·scale) + res/2."""
    center, scale = fan_center_scale(box)
    k = resolution / (200.0 * scale)
    return np.array([[k, 0.0, resolution / 2.0 - k * center[0]], [0.0, k, resolution / 2.0 - k * center[1]]])


def fan_crop(image: np.ndarray, box: tuple[float, float, float, float], resolution: int = 256) -> tuple[np.ndarray, np.ndarray]:
    m = fan_matrix(box, resolution)
    return warp_affine(image, m, resolution), m
