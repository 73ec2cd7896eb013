"""Head pose: pitch, yaw, roll in radians.

Offline backbone ``mediapipe-mesh-rigid``: a least-squares similarity fit (Umeyama) of rigid points
of mediapipe's canonical face model (``canonical_face_model.obj``, Apache-2.0, Google; nose, nose
bridge, forehead, eye corners, cheeks; no lips, jaw or brows, which move with expression) to the
detected 478-point mesh. Camera axes: x right, y up, z towards the viewer; the mesh's image y and
depth are negated to match. R = Rz(roll)·Ry(yaw)·Rx(pitch) maps the canonical face into the camera
frame (Deep3DFaceRecon's composition order); (0, 0, 0) is a frontal face. A horizontally mirrored
frame gives (pitch, −yaw, −roll).

The Deep3DFaceRecon angles (coefficients 224:227) come from talkbench.faces.recon3d when its
weights are installed; the two are different backbones and are never mixed in one column.
"""
from __future__ import annotations

import numpy as np

from ..geometry import euler_from_rotation, similarity_fit

MESH_POSE_ID = "mediapipe-mesh-rigid-v1"

# canonical coordinates (cm) of rigid mesh vertices; the model is mirror-symmetric in x
_MIDLINE = (  # (index, y, z); x = 0
    (1, -1.126865, 7.475604), (4, -0.463170, 7.586580), (5, 0.365669, 7.242870), (6, 2.473255, 5.788627),
    (168, 3.271027, 5.236015), (197, 1.728369, 6.316750), (195, 1.059413, 6.774605), (10, 8.261778, 4.481535),
    (151, 6.545390, 5.027311), (9, 4.885979, 5.385258), (8, 4.019042, 5.284764),
)
_PAIRS = (  # (image-left index, image-right index, x of the image-left one, y, z)
    (33, 263, -4.445859, 2.663991, 3.173422), (133, 362, -1.856432, 2.585245, 3.757904),
    (234, 454, -7.664182, 0.673132, -2.435867), (127, 356, -7.743095, 2.364999, -2.005167),
    (93, 323, -7.542244, -1.049282, -2.431321), (50, 280, -4.765501, -0.701554, 3.534632),
    (116, 345, -6.465170, 0.937119, 1.689873), (98, 327, -1.405627, -1.714196, 5.241087),
    (129, 358, -1.785794, -0.978284, 4.850470), (130, 359, -4.670959, 2.664461, 3.084075),
    (226, 446, -5.171755, 2.535753, 2.670867), (35, 265, -5.799793, 2.349546, 2.204059),
    (143, 372, -6.407571, 2.236021, 1.560843), (101, 330, -3.327324, 0.104863, 4.113860),
    (36, 266, -2.844939, -0.720868, 4.433130), (147, 376, -6.234883, -1.944430, 1.663542),
    (123, 352, -6.338145, -0.529279, 1.881175), (117, 346, -5.258659, 0.945811, 2.974312),
    (118, 347, -4.432338, 0.722096, 3.522615), (119, 348, -3.300681, 0.861641, 3.872784),
    (100, 329, -2.342340, 0.572222, 4.294303), (47, 277, -1.718698, 0.974609, 4.558359),
    (114, 343, -1.303263, 1.416453, 4.831091), (188, 412, -0.946709, 1.907628, 5.196779),
    (122, 351, -0.563221, 2.307693, 5.566789), (245, 465, -1.031362, 2.382663, 4.615849),
    (193, 417, -0.766444, 3.182131, 4.861453),
)


def _canonical() -> tuple[list[int], np.ndarray]:
    idx, pts = [], []
    for i, y, z in _MIDLINE:
        idx.append(i)
        pts.append((0.0, y, z))
    for left, right, x, y, z in _PAIRS:
        idx += [left, right]
        pts += [(x, y, z), (-x, y, z)]
    return idx, np.array(pts, dtype=np.float64)


RIGID_INDICES, CANONICAL_RIGID = _canonical()


def mesh_pose(mesh: np.ndarray) -> dict[str, np.ndarray | float]:
    """Pose of a 478×3 mesh in frame pixels (y down, z negative towards the camera).

    Returns angles (pitch, yaw, roll, radians), translation (x right, y up, in frame pixels),
    scale (pixels per canonical cm), the RMS fit residual in pixels and `canonical_mesh`: all 478
    points with the fitted pose undone (canonical cm), which keeps only the non-rigid expression.
    """
    obs = np.asarray(mesh, dtype=np.float64)[RIGID_INDICES] * np.array([1.0, -1.0, -1.0])
    scale, rot, t = similarity_fit(CANONICAL_RIGID, obs)
    resid = scale * CANONICAL_RIGID @ rot.T + t - obs
    full = np.asarray(mesh, dtype=np.float64) * np.array([1.0, -1.0, -1.0])
    return {
        "canonical_mesh": (full - t) @ rot / scale,
        "angles": euler_from_rotation(rot),
        "translation": t[:2].copy(),
        "scale": scale,
        "rms_px": float(np.sqrt((resid ** 2).sum(axis=1).mean())),
    }
