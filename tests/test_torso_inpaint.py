"""Real3D-Portrait's torso reference (`inpaint_torso`): a hand-built segmentation with known columns."""
from __future__ import annotations

import numpy as np

from talkbench.models.components.inpaint import inpaint_torso


def _scene():
    """20×12 image; head (face_skin) rows 0-12 over columns 2-9 but the neck (body_skin) at rows 10-12,
    columns 5-6; clothes rows 13-19 over columns 1-10 (columns 1 and 10 have background above, 5-6 neck)."""
    h, w = 20, 12
    seg = np.zeros((6, h, w), dtype=bool)
    seg[0] = True
    for c, rows, cols in ((3, slice(0, 13), slice(2, 10)), (2, slice(10, 13), slice(5, 7)), (4, slice(13, 20), slice(1, 11))):
        seg[:, rows, cols] = False
        seg[c, rows, cols] = True
    rng = np.random.default_rng(0)
    image = rng.integers(60, 250, (h, w, 3), dtype=np.uint8)
    return image, seg


def test_clothes_columns_under_the_head_are_smeared_up_with_darkening():
    image, seg = _scene()
    out, mask = inpaint_torso(image, seg)
    # column 3: clothes top at row 13, head above -> rows 13..5 get colour * 0.98^k (truncated)
    for k in range(9):
        expected = (image[13, 3].astype(np.float64) * 0.98 ** k).astype(np.uint8)
        assert np.array_equal(out[13 - k, 3], expected), k
        assert mask[13 - k, 3]
    assert not mask[4, 3] and (out[4, 3] == 0).all()  # above the 9-pixel smear: head, removed
    # column 1: background above the clothes -> no smear, the clothes kept as they are
    assert np.array_equal(out[13:, 1], image[13:, 1]) and not mask[12, 1]
    # background and head outside every smear are zero; clothes pixels below the top are untouched
    assert (out[0, 0] == 0).all() and not mask[0, 0]
    assert np.array_equal(out[15:, 3], image[15:, 3])


def test_neck_is_dilated_pushed_down_smeared_and_blurred():
    import cv2

    image, seg = _scene()
    out, mask = inpaint_torso(image, seg)
    # the neck (rows 10-12) dilated 3 px up and down -> rows 7-15 in columns 5-6; its top (row 7) lies
    # under the head, pushed down min(9 - 1, 4) = 4 -> row 11; 53 px upwards reach row 0
    assert mask[0:16, 5:7].all()
    ref = image.copy()
    ref[seg[[1, 3, 5]].any(0)] = 0
    for k in range(9):  # the clothes smear first (rows 13..5 of the columns with head above), as upstream
        for c in (2, 3, 4, 7, 8, 9):
            ref[13 - k, c] = (image[13, c].astype(np.float64) * 0.98 ** k).astype(np.uint8)
    for k in range(12):
        for c in (5, 6):
            ref[11 - k, c] = (image[11, c].astype(np.float64) * 0.98 ** k).astype(np.uint8)
    blurred = cv2.GaussianBlur(ref, (5, 5), 4.0)
    assert np.array_equal(out[0:12, 5:7], blurred[0:12, 5:7])
    assert np.array_equal(out[12:16, 5:7], ref[12:16, 5:7])  # below the smear start: not blurred


def test_no_torso_gives_an_empty_reference():
    image, seg = _scene()
    seg[0] |= seg[2] | seg[4]
    seg[2] = seg[4] = False
    out, mask = inpaint_torso(image, seg)
    assert not mask.any() and not out.any()
