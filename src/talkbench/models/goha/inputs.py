"""GOHA's per-frame inputs from real frames: head-pose cameras and the expression branch's pseudo-3DMM image.

Released pipeline (seed-models.md §3, `losses/threeDMM.py` `get_sudo`): Deep3DFaceRecon coefficients of
the source, of the canonical exemplar and of the driving frame (each 512² image bilinearly resized to
224); source identity/texture/lighting with the driving expression and the exemplar's pose, rendered
with BFM texture and SH lighting at 224 (focal 1015, centre 112), ×2−1, resized to 512. Cameras come
from the dataset's EG3D labels (GOHA recipe: no centre offsets, radius 2.7).

OFFLINE SUBSTITUTE (`expression_input="mesh"`, no BFM or Deep3DFaceRecon file needed; the notes of a run
say so): the 478-point mediapipe face mesh stands in for the 3DMM fit.
* pseudo-3DMM image: the source's pose-free canonical mesh plus the driving expression, taken as the
  driving mesh's offset from the first driving frame (relative transfer: the first driving frame's own
  expression is not transferred), coloured by the source image at the source mesh's vertices
  (instead of BFM texture + SH lighting), triangulated once (Delaunay, so the eyes and mouth are
  filled), drawn through Deep3DFaceRecon's camera at zero pose (the exemplar is near frontal) at 224,
  background -1, resized to 512 as released;
* cameras: the mesh's rigid head pose (real3d_portrait.driving_pose.mesh_to_deep3d_pose) through the
  `goha` camera recipe.

RELEASED PATH (`expression_input="deep3d"`: needs Deep3DFaceRecon's `epoch_20.pth` from the weights
registry and your BFM_model_front.mat with its texture model): coefficients from the 512² images resized
to 224 (bilinear, as `ExpLoss.preprocess`), source identity / texture / lighting + driving expression +
the exemplar's (`cano_exemplar` buffer) angles and translation, shaded with SH lighting
(components/shading.py) and drawn with talkbench's rasteriser through Deep3DFaceRecon's camera.
Cameras: when the protocol gives none, the Deep3DFaceRecon pose of the frame through the `goha` recipe
(the dataset's EG3D labels come from a separately aligned crop, so this is an approximation). Remaining
differences (in the notes): no pytorch3d/nvdiffrast anti-aliasing; the network sees the EG3D crop
resized, as upstream's `get_sudo` does.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from ..base import Camera
from ..components.cameras import camera_from_3dmm
from ..components.pncc import project_canonical
from ..components.rasterizer import rasterize
from ..real3d_portrait.driving_pose import mesh_to_deep3d_pose
from ..real3d_portrait.real_inputs import CM_TO_MODEL_UNITS, FACE_POINTS, MeshNCC, MeshObserver

DEEP3D_SIZE = 224
EXPRESSION_INPUTS = ("mesh", "deep3d")
MESH_NOTE = ("offline inputs: pseudo-3DMM image from the mediapipe face mesh (source mesh + driving offset from "
             "the first driving frame, source-image vertex colours, no BFM texture/lighting) instead of "
             "Deep3DFaceRecon coefficients, and head-pose cameras from the mesh's rigid fit (goha recipe); "
             "numbers are not the paper's")


@dataclass
class FaceMeshFrame:
    mesh: np.ndarray        # 478×3 pixels of the frame as given
    canonical: np.ndarray   # 478×3 pose-free centimetres
    size: tuple[int, int]   # (H, W)


def vertex_colours(image: np.ndarray, mesh: np.ndarray) -> torch.Tensor:
    """Bilinear RGB (0..1) of an H×W×3 uint8 image at the mesh's pixel positions (x, y), centres at +0.5."""
    h, w = image.shape[:2]
    img = torch.as_tensor(np.array(image, dtype=np.float32)).permute(2, 0, 1)[None] / 255.0
    pts = torch.as_tensor(mesh[:FACE_POINTS, :2], dtype=torch.float32)
    grid = torch.stack([pts[:, 0] / w * 2 - 1, pts[:, 1] / h * 2 - 1], dim=-1).view(1, 1, -1, 2)
    return F.grid_sample(img, grid, mode="bilinear", padding_mode="border", align_corners=False)[0, :, 0].T


def render_vertex_colours(vertices: torch.Tensor, triangles: torch.Tensor, colours: torch.Tensor,
                          size: int = DEEP3D_SIZE) -> torch.Tensor:
    """(B, V, 3) model-space vertices at zero pose, (B, V, 3) colours in [0, 1] -> (B, 3, size, size) in
    [-1, 1] through Deep3DFaceRecon's camera; uncovered pixels -1 (as `pred_face * 2 - 1`)."""
    image, mask, _ = rasterize(project_canonical(vertices), triangles, colours.contiguous(), size, size)
    return (image * mask) * 2 - 1


class MeshInputs:
    """Offline inputs of one identity: the source mesh, its colours and triangulation."""

    name = "mesh"

    def __init__(self):
        self._observer: MeshObserver | None = None

    def observe(self, frame: np.ndarray, what: str) -> FaceMeshFrame:
        if self._observer is None:
            self._observer = MeshObserver()
        obs = self._observer(frame, what)
        return FaceMeshFrame(obs.mesh, obs.canonical, frame.shape[:2])

    @staticmethod
    def camera(obs: FaceMeshFrame) -> Camera:
        euler, trans = mesh_to_deep3d_pose(obs.mesh, obs.size[1], obs.size[0])
        return camera_from_3dmm(euler, trans, recipe="goha")

    note = MESH_NOTE

    def prepare_source(self, image: np.ndarray, source: torch.Tensor) -> tuple[Camera, FaceMeshFrame]:
        face = self.observe(image, "source image")
        return self.camera(face), face

    def drive(self, face: FaceMeshFrame, image: np.ndarray, frames, tensors: torch.Tensor,
              size: int) -> tuple[torch.Tensor, list[Camera]]:
        """Pseudo-3DMM images (T, 3, size, size) and head-pose cameras of the driving frames."""
        faces = [self.observe(np.asarray(f), f"driving frame {i}") for i, f in enumerate(frames)]
        return self.pseudo_3dmm(face, image, faces, faces[0], size), [self.camera(f) for f in faces]

    @staticmethod
    def pseudo_3dmm(source: FaceMeshFrame, source_image: np.ndarray, driving: list[FaceMeshFrame],
                    reference: FaceMeshFrame, out_size: int) -> torch.Tensor:
        """(T, 3, out_size, out_size) in [-1, 1]: source geometry + (driving − reference) offsets."""
        src = np.asarray(source.canonical)[:FACE_POINTS]
        ref = np.asarray(reference.canonical)[:FACE_POINTS]
        verts = np.stack([src + np.asarray(d.canonical)[:FACE_POINTS] - ref for d in driving]) * CM_TO_MODEL_UNITS
        triangles = MeshNCC(source.canonical).triangles
        colours = vertex_colours(source_image, source.mesh).unsqueeze(0).expand(len(driving), -1, -1)
        image = render_vertex_colours(torch.as_tensor(verts, dtype=torch.float32), triangles, colours)
        return F.interpolate(image, size=(out_size, out_size), mode="bilinear", align_corners=False)


DEEP3D_NOTE = ("released inputs: Deep3DFaceRecon coefficients and the BFM pseudo-3DMM render (talkbench's rasteriser, "
               "no anti-aliasing); cameras from the frames' Deep3DFaceRecon pose when the protocol gives none")


class Deep3DInputs:
    """The released pseudo-3DMM input: Deep3DFaceRecon coefficients + a textured, SH-lit BFM."""

    name = "deep3d"

    def __init__(self, bfm, exemplar: torch.Tensor):
        from ...errors import InputError
        from ..components.morphable import MorphableModel

        self.model = bfm if isinstance(bfm, MorphableModel) else MorphableModel.from_mat(bfm)
        if not self.model.has_texture:
            raise InputError(getattr(bfm, "name", bfm), "the 3DMM has no texture model (meantex/texBase)",
                             "pass Deep3DFaceRecon's BFM_model_front.mat")
        self.exemplar = exemplar
        self._net = None
        self._faces = torch.as_tensor(self.model.faces, dtype=torch.long)

    note = DEEP3D_NOTE

    def prepare_source(self, image: np.ndarray, source: torch.Tensor) -> tuple[Camera, dict]:
        coeffs = self.coefficients(torch.cat([source, self.exemplar.to(source)]))
        return self.camera(coeffs[:1]), {"source": coeffs[:1], "exemplar": coeffs[1:]}

    def drive(self, state: dict, image: np.ndarray, frames, tensors: torch.Tensor,
              size: int) -> tuple[torch.Tensor, list[Camera]]:
        coeffs = self.coefficients(tensors)
        n = len(coeffs)
        pseudo = self.render(state["source"].expand(n, -1), coeffs, state["exemplar"].expand(n, -1), size)
        return pseudo, [self.camera(coeffs[i:i + 1]) for i in range(n)]

    def net(self):
        if self._net is None:
            from ...faces.recon3d import get_deep3d

            self._net = get_deep3d().net  # MissingWeightsError when epoch_20.pth is not installed
        return self._net

    def coefficients(self, images: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) in [-1, 1] -> (B, 257) on the 224² resize, as released."""
        x = F.interpolate((images + 1) / 2, size=(DEEP3D_SIZE, DEEP3D_SIZE), mode="bilinear", align_corners=False)
        net = self.net()
        return net(x.to(next(net.parameters()).device)).to(images.device, torch.float32)

    @staticmethod
    def camera(coeffs: torch.Tensor) -> Camera:
        from ...nets.deep3d_resnet import split_coeffs

        c = split_coeffs(coeffs.detach().double().cpu())
        return camera_from_3dmm(c["angle"][0].numpy(), c["trans"][0].numpy(), recipe="goha")

    def render(self, identity: torch.Tensor, expression: torch.Tensor, pose: torch.Tensor,
               out_size: int) -> torch.Tensor:
        """Coefficient rows (B, 257) for identity/texture/lighting, expression, pose -> (B, 3, S, S) in [-1, 1]."""
        from ...nets.deep3d_resnet import split_coeffs
        from ..components.cameras import euler_to_rotation_batch
        from ..components.shading import sh_shade, vertex_normals

        ids, exps, poses = split_coeffs(identity.double()), split_coeffs(expression.double()), split_coeffs(pose.double())
        m = self.model
        shape = (torch.as_tensor(m.mean_shape.reshape(-1))[None] + ids["id"] @ torch.as_tensor(m.id_base).T
                 + exps["exp"] @ torch.as_tensor(m.exp_base).T).view(len(identity), -1, 3)
        albedo = ((torch.as_tensor(m.mean_tex.reshape(-1))[None] + ids["tex"] @ torch.as_tensor(m.tex_base).T) / 255.0
                  ).view(len(identity), -1, 3)
        rot = euler_to_rotation_batch(poses["angle"])
        posed = shape @ rot + poses["trans"].unsqueeze(1)
        colour = sh_shade(albedo, vertex_normals(shape, self._faces) @ rot, ids["gamma"])
        image = render_vertex_colours(posed.float(), self._faces, colour.float())
        return F.interpolate(image, size=(out_size, out_size), mode="bilinear", align_corners=False)
