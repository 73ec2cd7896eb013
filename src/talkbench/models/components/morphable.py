"""A 3DMM container in Deep3DFaceRecon's `BFM_model_front.mat` layout, plus a tiny synthetic one.

Layout (per Deep3DFaceRecon `ParametricFaceModel`): `meanshape` (1, 3V), `idBase` (3V, 80),
`exBase` (3V, 64), `tri` (F, 3) 1-based, optional `meantex`/`texBase`/`keypoints`. The mean shape is
re-centred (vertex mean subtracted) as Deep3DFaceRecon does. Real3D-Portrait's PNCC colours come from
`ncc_code.npy` (3, V); if none is supplied we use the min-max normalised mean shape (documented
difference: the official code's codes span ≈[0.12, 0.91]).
The BFM files are licensed separately: users supply them, nothing is downloaded.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...errors import InputError


@dataclass
class MorphableModel:
    mean_shape: np.ndarray  # (V, 3), re-centred
    id_base: np.ndarray     # (3V, n_id)
    exp_base: np.ndarray    # (3V, n_exp)
    faces: np.ndarray       # (F, 3) 0-based
    ncc_code: np.ndarray    # (V, 3) in [0, 1]
    name: str = "bfm"
    keypoints: np.ndarray | None = None  # (68,) 0-based vertex index of the iBUG-68 landmarks (`keypoints` in the .mat)
    mean_tex: np.ndarray | None = None   # (V, 3) albedo in 0..255 (`meantex`), when the file has a texture model
    tex_base: np.ndarray | None = None   # (3V, n_tex) (`texBase`)

    @property
    def has_texture(self) -> bool:
        return self.mean_tex is not None and self.tex_base is not None

    def texture(self, tex_coeff=None) -> np.ndarray:
        """(V, 3) albedo in [0, 1] (Deep3DFaceRecon: texBase·tex + meantex, /255)."""
        if not self.has_texture:
            raise ValueError(f"3DMM '{self.name}' has no texture model (meantex/texBase)")
        t = self.mean_tex.reshape(-1).astype(np.float64).copy()
        if tex_coeff is not None:
            t = t + self.tex_base @ np.asarray(tex_coeff, dtype=np.float64)
        return t.reshape(-1, 3) / 255.0

    @property
    def n_vertices(self) -> int:
        return self.mean_shape.shape[0]

    def shape(self, id_coeff=None, exp_coeff=None) -> np.ndarray:
        """(V, 3) vertices for identity/expression coefficients (zeros -> mean shape)."""
        v = self.mean_shape.reshape(-1).astype(np.float64).copy()
        if id_coeff is not None:
            v = v + self.id_base @ np.asarray(id_coeff, dtype=np.float64)
        if exp_coeff is not None:
            v = v + self.exp_base @ np.asarray(exp_coeff, dtype=np.float64)
        return v.reshape(-1, 3)

    def without_faces(self, drop: np.ndarray) -> "MorphableModel":
        keep = np.setdiff1d(np.arange(len(self.faces)), np.asarray(drop, dtype=np.int64))
        return MorphableModel(self.mean_shape, self.id_base, self.exp_base, self.faces[keep], self.ncc_code, self.name,
                              self.keypoints, self.mean_tex, self.tex_base)

    @classmethod
    def from_mat(cls, path, ncc_code_path=None) -> "MorphableModel":
        from scipy.io import loadmat

        path = Path(path)
        if not path.is_file():
            raise InputError(path, "BFM file not found",
                             "download BFM_model_front.mat as described by Deep3DFaceRecon and pass its path")
        mat = loadmat(str(path))
        for key in ("meanshape", "idBase", "exBase", "tri"):
            if key not in mat:
                raise InputError(path, f"missing key '{key}' (not a BFM_model_front.mat layout)",
                                 "use Deep3DFaceRecon's BFM_model_front.mat")
        mean = np.asarray(mat["meanshape"], dtype=np.float64).reshape(-1, 3)
        mean = mean - mean.mean(axis=0, keepdims=True)
        faces = np.asarray(mat["tri"], dtype=np.int64) - 1
        if ncc_code_path is not None:
            ncc = np.load(ncc_code_path).astype(np.float64)
            ncc = ncc.T if ncc.shape[0] == 3 else ncc
        else:
            ncc = normalised_coordinates(mean)
        keypoints = np.asarray(mat["keypoints"], np.int64).reshape(-1) - 1 if "keypoints" in mat else None
        tex = ("meantex" in mat and "texBase" in mat)
        return cls(mean, np.asarray(mat["idBase"], np.float64), np.asarray(mat["exBase"], np.float64), faces, ncc,
                   name=path.stem, keypoints=keypoints,
                   mean_tex=np.asarray(mat["meantex"], np.float64).reshape(-1, 3) if tex else None,
                   tex_base=np.asarray(mat["texBase"], np.float64) if tex else None)

    def to_mat(self, path) -> None:
        from scipy.io import savemat

        extra = {} if self.keypoints is None else {"keypoints": np.asarray(self.keypoints).reshape(1, -1) + 1}
        if self.has_texture:
            extra.update(meantex=self.mean_tex.reshape(1, -1), texBase=self.tex_base)
        savemat(str(path), {"meanshape": self.mean_shape.reshape(1, -1), "idBase": self.id_base,
                            "exBase": self.exp_base, "tri": self.faces + 1, **extra})


def normalised_coordinates(vertices: np.ndarray) -> np.ndarray:
    lo, hi = vertices.min(axis=0), vertices.max(axis=0)
    return (vertices - lo) / np.maximum(hi - lo, 1e-12)


def synthetic_morphable_model(n_lat: int = 12, n_lon: int = 16, n_id: int = 80, n_exp: int = 64,
                              seed: int = 0, radius: float = 0.9) -> MorphableModel:
    """A front-facing hemisphere (z towards the camera, BFM units/scale) with random small bases."""
    rng = np.random.default_rng(seed)
    lat = np.linspace(0, np.pi / 2, n_lat)  # 0 = pole facing +z
    lon = np.linspace(0, 2 * np.pi, n_lon, endpoint=False)
    verts = [np.array([0.0, 0.0, radius])]
    for a in lat[1:]:
        for b in lon:
            verts.append(radius * np.array([np.sin(a) * np.cos(b), np.sin(a) * np.sin(b), np.cos(a)]))
    verts = np.stack(verts)
    faces = []
    for j in range(n_lon):  # cap
        faces.append([0, 1 + j, 1 + (j + 1) % n_lon])
    for i in range(n_lat - 2):
        r0, r1 = 1 + i * n_lon, 1 + (i + 1) * n_lon
        for j in range(n_lon):
            a, b = r0 + j, r0 + (j + 1) % n_lon
            c, d = r1 + j, r1 + (j + 1) % n_lon
            faces += [[a, c, b], [b, c, d]]
    verts = verts - verts.mean(axis=0, keepdims=True)
    v3 = verts.size
    id_base = rng.normal(0, 0.01, (v3, n_id))
    exp_base = rng.normal(0, 0.01, (v3, n_exp))
    mean_tex = np.full_like(verts, 180.0)
    tex_base = rng.normal(0, 1.0, (v3, 80))  # drawn after the shape bases, so those are unchanged
    return MorphableModel(verts, id_base, exp_base, np.asarray(faces, np.int64), normalised_coordinates(verts),
                          name="synthetic", mean_tex=mean_tex, tex_base=tex_base)
