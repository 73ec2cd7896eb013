"""The offline 478-point face mesh as the baselines and the mini benchmark use it.

Points come from talkbench.faces (mediapipe BlazeFace box + FaceMesh with iris refinement, from
the mediapipe wheel, no downloads). This module adds what warping needs: a triangulation of the
468 surface points and the named index groups (lips, eyelids) that the expression model moves.
"""
from __future__ import annotations

import hashlib
from collections import OrderedDict
from functools import lru_cache

import numpy as np

#: inner lip contour, mouth corner to mouth corner, along the upper lip then the lower lip
LIPS_INNER_UPPER = (78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308)
LIPS_INNER_LOWER = (78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308)
MOUTH_CORNERS = (61, 291)
UPPER_LIP_INNER_MID, LOWER_LIP_INNER_MID = 13, 14
FOREHEAD_TOP, CHIN = 10, 152
#: eyelids (image-left eye first), corner to corner
EYES = (
    {"upper": (246, 161, 160, 159, 158, 157, 173), "lower": (7, 163, 144, 145, 153, 154, 155), "corners": (33, 133)},
    {"upper": (466, 388, 387, 386, 385, 384, 398), "lower": (249, 390, 373, 374, 380, 381, 382), "corners": (263, 362)},
)
IRISES = (tuple(range(468, 473)), tuple(range(473, 478)))
#: points that move with the skull, not with expressions: nose bridge and tip, eye corners, forehead, temples
RIGID = (6, 168, 197, 195, 5, 4, 1, 33, 133, 263, 362, 10, 151, 9, 8, 234, 454, 127, 356)
N_POINTS = 478


@lru_cache(maxsize=1)
def surface_triangles() -> np.ndarray:
    """Triangles (F×3 int64) of the 468-point surface: the 3-cliques of mediapipe's tessellation edges."""
    from mediapipe.python.solutions.face_mesh_connections import FACEMESH_TESSELATION

    edges = {tuple(sorted(e)) for e in FACEMESH_TESSELATION}
    neighbours: dict[int, set[int]] = {}
    for a, b in edges:
        neighbours.setdefault(a, set()).add(b)
        neighbours.setdefault(b, set()).add(a)
    tris = {tuple(sorted((a, b, c))) for a, b in edges for c in neighbours[a] & neighbours[b]}
    return np.array(sorted(tris), dtype=np.int64)


def _strip(upper: tuple[int, ...], lower: tuple[int, ...]) -> list[tuple[int, int, int]]:
    """Triangles closing the gap between two contours that run side by side (same length)."""
    out = []
    for i in range(len(upper) - 1):
        out += [(upper[i], upper[i + 1], lower[i + 1]), (upper[i], lower[i + 1], lower[i])]
    return [t for t in out if len(set(t)) == 3]


@lru_cache(maxsize=1)
def closed_triangles() -> np.ndarray:
    """The surface triangles plus strips closing the eye openings and the mouth slit (for rendering)."""
    extra = _strip(LIPS_INNER_UPPER, LIPS_INNER_LOWER)
    for eye in EYES:
        a, b = eye["corners"]
        extra += _strip((a, *eye["upper"], b), (a, *eye["lower"], b))
    return np.concatenate([surface_triangles(), np.array(extra, dtype=np.int64)])


class MeshDetector:
    """The 478×3 mesh (frame pixels; z in x's pixel scale, negative towards the camera) of the largest face."""

    def __init__(self):
        from ..faces.detection import get_detector
        from ..faces.mesh import shared_mesh

        self._detector = get_detector("mediapipe", points5=False)
        self._mesh = shared_mesh()

    @property
    def id(self) -> str:
        return f"{self._detector.id}+{self._mesh.id}"

    def __call__(self, frame: np.ndarray) -> np.ndarray | None:
        frame = np.ascontiguousarray(frame)
        for box in self._detector.detect([frame])[0]:
            mesh = self._mesh.mesh_for_box(frame, box)
            if mesh is not None:
                return mesh
        return None


@lru_cache(maxsize=1)
def shared_detector() -> MeshDetector:
    return MeshDetector()


_MEMO: "OrderedDict[bytes, np.ndarray | None]" = OrderedDict()
_MEMO_SIZE = 4096


def detect_mesh(frame: np.ndarray) -> np.ndarray | None:
    """The largest face's mesh; remembered by frame content, so a clip driving several items is read once."""
    frame = np.ascontiguousarray(frame)
    key = hashlib.sha1(frame.tobytes()).digest() + repr(frame.shape).encode()
    if key in _MEMO:
        _MEMO.move_to_end(key)
    else:
        _MEMO[key] = shared_detector()(frame)
        if len(_MEMO) > _MEMO_SIZE:
            _MEMO.popitem(last=False)
    mesh = _MEMO[key]
    return None if mesh is None else mesh.copy()
