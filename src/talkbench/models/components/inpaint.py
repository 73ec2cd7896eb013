"""Nearest-neighbour background inpainting (Real3D-Portrait's `extract_background(..., 'knn')`).

Every pixel outside the true-background mask takes the colour of its nearest background pixel
(Euclidean distance on the pixel grid, a k-d tree as in the official sklearn call).
"""
from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree


def knn_fill_background(image: np.ndarray, background_mask: np.ndarray) -> np.ndarray:
    """image (H, W, C), background_mask (H, W) bool -> image with non-background pixels filled."""
    mask = np.asarray(background_mask, dtype=bool)
    out = np.array(image, copy=True)
    if mask.all() or not mask.any():
        return out
    bg = np.argwhere(mask)
    holes = np.argwhere(~mask)
    _, nearest = cKDTree(bg).query(holes, k=1)
    src = bg[nearest]
    out[holes[:, 0], holes[:, 1]] = image[src[:, 0], src[:, 1]]
    return out


# -- torso reference (Real3D-Portrait `inpaint_torso_job`) ----------------------------------------
HEAD_CLASSES = (1, 3, 5)   # hair, face_skin, others of the 6-class map [bg, hair, body_skin, face_skin, clothes, others]
NECK_CLASS, CLOTHES_CLASS = 2, 4
TORSO_SMEAR = 9            # clothes: the column's top pixel and 8 above it
NECK_SMEAR, NECK_PUSH_DOWN = 53, 4   # neck: 48 + push-down 4 + 1
DARKEN = 0.98              # colour factor per pixel moved upwards
UPSTREAM_BLUR_SIGMA = 4.0


def _top_pixels(part: np.ndarray, head: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Topmost pixel (row, col) of `part` in every column whose pixel directly above is head, and the
    number of `part` pixels in that column."""
    rows, cols = np.nonzero(part)
    order = np.lexsort((rows, cols))  # by column, then row
    rows, cols = rows[order], cols[order]
    _, first, count = np.unique(cols, return_index=True, return_counts=True)
    top = np.stack([rows[first], cols[first]], axis=-1)
    under_head = (top[:, 0] > 0) & head[np.maximum(top[:, 0] - 1, 0), top[:, 1]]
    return top[under_head], count[under_head]


def _smear_up(out: np.ndarray, colours_from: np.ndarray, top: np.ndarray, length: int) -> np.ndarray:
    """Write each top pixel's colour (darkened by DARKEN per step) into the `length` pixels from it
    upwards; returns the mask of written pixels. Rows above the image are dropped."""
    written = np.zeros(out.shape[:2], dtype=bool)
    colours = colours_from[top[:, 0], top[:, 1]].astype(np.float64)
    for k in range(length):
        rows = top[:, 0] - k
        ok = rows >= 0
        out[rows[ok], top[ok, 1]] = (colours[ok] * DARKEN ** k).astype(out.dtype)
        written[rows[ok], top[ok, 1]] = True
    return written


def inpaint_torso(image: np.ndarray, segmap: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The torso reference image of Real3D-Portrait's HTB-SR: head pixels removed, the clothes and the
    neck (body skin, dilated 3 px vertically) extended upwards under the head by smearing each column's
    top colour with a 0.98-per-pixel darkening (9 px for clothes; 53 px for the neck, starting up to
    4 px inside it), the neck smear softened with a 5×5 Gaussian (sigma 4); everything outside torso, neck and
    smears set to 0.

    image (H, W, 3) uint8 RGB, segmap (6, H, W) one-hot -> (torso image uint8, torso mask bool).
    One stated difference: smears reaching above the top row are cut, where upstream's negative
    indices wrap around to the bottom rows.
    """
    import cv2
    from scipy.ndimage import binary_dilation

    seg = np.asarray(segmap).astype(bool)
    head = seg[list(HEAD_CLASSES)].any(axis=0)
    clothes = seg[CLOTHES_CLASS]
    neck = binary_dilation(seg[NECK_CLASS], structure=np.array([[0, 1, 0]] * 3, dtype=bool), iterations=3)
    out = np.array(image, copy=True)
    out[head] = 0
    smeared = np.zeros(head.shape, dtype=bool)
    if clothes.any():
        top, _ = _top_pixels(clothes, head)
        smeared |= _smear_up(out, image, top, TORSO_SMEAR)
    neck_smear = np.zeros(head.shape, dtype=bool)
    if neck.any():
        top, count = _top_pixels(neck, head)
        top = top + np.stack([np.minimum(count - 1, NECK_PUSH_DOWN), np.zeros_like(count)], axis=-1)
        neck_smear = _smear_up(out, image, top, NECK_SMEAR)
        # upstream passes cv2.BORDER_DEFAULT (= 4) in the sigmaX position: a 5×5 kernel with sigma 4
        blurred = cv2.GaussianBlur(out, (5, 5), UPSTREAM_BLUR_SIGMA)
        out[neck_smear] = blurred[neck_smear]
    mask = neck | clothes | smeared | neck_smear
    out[~mask] = 0
    return out, mask
