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
