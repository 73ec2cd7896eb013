"""EG3D-style cameras: the 25-d label, look-at poses, and the per-recipe conversions from a 3DMM pose.

Label = row-major 4×4 OpenCV cam2world (x right, y down, z forward) ++ row-major 3×3 normalised K.
Four mutually incompatible "EG3D cameras" exist (protocols.md §2.7), so a camera always carries the
recipe id that produced it:

| recipe    | centre offsets (y, z) | radius normalised to 2.7 | focal (normalised)      | extra                |
|-----------|-----------------------|--------------------------|-------------------------|----------------------|
| eg3d-ffhq | 0.006, 0.161          | yes (about the origin)   | 2985.29/700 = 4.2647    |                      |
| goha      | none                  | yes                      | 4.2647                  |                      |
| real3d    | 0.006, 0.161          | no                       | 4.2647                  | smoothed, re-anchored|
| otavatar  | 0.015, 0.161          | no                       | 4.2647·f_fit/1050       | translation ×2.7/4   |

VIVE3D (Talk3D) cameras are not built from a 3DMM pose but from (yaw, pitch) offsets: `camera_from_angles`
(look-at pivot (0, 0.05, 0.2), radius 2.7, focal 3.6), inverted by `angles_from_camera`.

All start from Deep3DFaceRecon's pose: R = compute_rotation(euler) = (Rz·Ry·Rx)ᵀ, t_z -= 10 (camera
distance), centre c = -R·t, c *= 0.27, offsets, rotation right-multiplied by diag(1, -1, -1).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...geometry import euler_from_rotation, rotation_from_euler
from ..base import Camera

EG3D_FOCAL = 2985.29 / 700  # 4.26470
DEEP3D_CAMERA_DISTANCE = 10.0
RADIUS_SCALE = 0.27
AXIS_FLIP = np.diag([1.0, -1.0, -1.0])


@dataclass(frozen=True)
class CameraRecipe:
    name: str
    offset_y: float
    offset_z: float
    normalise_radius: float | None  # radius about the origin, or None
    translation_scale: float = 1.0
    focal_reference: float | None = None  # otavatar: focal = EG3D_FOCAL * f_fit / focal_reference


RECIPES: dict[str, CameraRecipe] = {
    "eg3d-ffhq": CameraRecipe("eg3d-ffhq", 0.006, 0.161, 2.7),
    "goha": CameraRecipe("goha", 0.0, 0.0, 2.7),
    "real3d": CameraRecipe("real3d", 0.006, 0.161, None),
    "otavatar": CameraRecipe("otavatar", 0.015, 0.161, None, translation_scale=2.7 / 4.0, focal_reference=1050.0),
}


def get_recipe(name: str) -> CameraRecipe:
    try:
        return RECIPES[name]
    except KeyError:
        raise ValueError(f"unknown camera recipe {name!r}; known: {sorted(RECIPES)}") from None


def normalized_intrinsics(focal: float = EG3D_FOCAL, cx: float = 0.5, cy: float = 0.5) -> np.ndarray:
    return np.array([[focal, 0.0, cx], [0.0, focal, cy], [0.0, 0.0, 1.0]])


def fov_to_intrinsics(fov_degrees: float) -> np.ndarray:
    """EG3D's FOV_to_intrinsics, constants 3.14159 and 1.414 kept (18.837° -> f = 4.2634)."""
    f = float(1 / (np.tan(fov_degrees * 3.14159 / 360) * 1.414))
    return normalized_intrinsics(f)


def camera_to_label(camera: Camera) -> np.ndarray:
    return np.concatenate([np.asarray(camera.cam2world, np.float64).reshape(16),
                           np.asarray(camera.intrinsics, np.float64).reshape(9)])


def camera_from_label(label, recipe: str = "eg3d-ffhq") -> Camera:
    label = np.asarray(label, dtype=np.float64).reshape(-1)
    if label.shape != (25,):
        raise ValueError(f"an EG3D camera label has 25 numbers, got {label.shape[0]}")
    if recipe != "opencv":
        get_recipe(recipe)
    return Camera(cam2world=label[:16].reshape(4, 4).copy(), intrinsics=label[16:].reshape(3, 3).copy(), recipe=recipe)


def euler_to_rotation_batch(euler: "torch.Tensor") -> "torch.Tensor":
    """Deep3DFaceRecon `compute_rotation`, batched and differentiable: (B, 3) angles (x, y, z) in
    radians -> (B, 3, 3) = (Rz·Ry·Rx)ᵀ, so that `points @ R + trans` poses row-vector points."""
    import torch

    c, s = torch.cos(euler), torch.sin(euler)
    one, zero = torch.ones_like(c[:, 0]), torch.zeros_like(c[:, 0])

    def mat(*rows):
        return torch.stack([torch.stack(r, dim=-1) for r in rows], dim=-2)

    rx = mat((one, zero, zero), (zero, c[:, 0], -s[:, 0]), (zero, s[:, 0], c[:, 0]))
    ry = mat((c[:, 1], zero, s[:, 1]), (zero, one, zero), (-s[:, 1], zero, c[:, 1]))
    rz = mat((c[:, 2], -s[:, 2], zero), (s[:, 2], c[:, 2], zero), (zero, zero, one))
    return (rz @ ry @ rx).transpose(-1, -2)


def euler_to_rotation(euler) -> np.ndarray:
    """Deep3DFaceRecon `compute_rotation`: (Rz·Ry·Rx)ᵀ for angles (x, y, z) in radians."""
    return rotation_from_euler(*np.asarray(euler, dtype=np.float64).reshape(3)).T


def rotation_to_euler(rot: np.ndarray) -> np.ndarray:
    """Inverse of `euler_to_rotation` (away from gimbal lock, |y| < π/2)."""
    return euler_from_rotation(np.asarray(rot, dtype=np.float64).T)


def camera_from_3dmm(euler, trans, recipe: str = "real3d", fitted_focal: float | None = None) -> Camera:
    r = get_recipe(recipe)
    rot = euler_to_rotation(euler)
    t = np.asarray(trans, dtype=np.float64).reshape(3).copy()
    t[2] -= DEEP3D_CAMERA_DISTANCE
    c = -rot @ t * RADIUS_SCALE
    c[1] += r.offset_y
    c[2] += r.offset_z
    if r.normalise_radius is not None:
        c = c / np.linalg.norm(c) * r.normalise_radius
    c = c * r.translation_scale
    pose = np.eye(4)
    pose[:3, :3] = rot @ AXIS_FLIP
    pose[:3, 3] = c
    focal = EG3D_FOCAL
    if r.focal_reference is not None:
        if fitted_focal is None:
            raise ValueError(f"recipe {recipe!r} needs the fitted focal length")
        focal = EG3D_FOCAL * fitted_focal / r.focal_reference
    return Camera(cam2world=pose, intrinsics=normalized_intrinsics(focal), recipe=recipe)


def pose_from_camera(camera: Camera) -> tuple[np.ndarray, np.ndarray]:
    """Invert `camera_from_3dmm` -> (euler, trans). Exact for recipes without radius normalisation;
    for radius-normalised recipes the distance is lost and trans is returned for the unnormalised
    centre direction at the normalised radius (rotation is exact)."""
    r = get_recipe(camera.recipe)
    pose = np.asarray(camera.cam2world, dtype=np.float64)
    rot = pose[:3, :3] @ AXIS_FLIP  # AXIS_FLIP is its own inverse
    c = pose[:3, 3] / r.translation_scale
    c = c - np.array([0.0, r.offset_y, r.offset_z])
    t = -rot.T @ (c / RADIUS_SCALE)
    t[2] += DEEP3D_CAMERA_DISTANCE
    return rotation_to_euler(rot), t


def lookat_cam2world(yaw: float, pitch: float, radius: float = 2.7, lookat=(0.0, 0.0, 0.2)) -> np.ndarray:
    """EG3D LookAtPoseSampler (no noise): yaw = pitch = π/2 is frontal, camera at (0, 0, radius).

    As in EG3D the camera sits on a sphere about the world origin and looks at `lookat`; y-up world,
    no roll.
    """
    theta = yaw
    v = float(np.clip(pitch, 1e-5, np.pi - 1e-5)) / np.pi
    phi = np.arccos(1 - 2 * v)
    origin = radius * np.array([np.sin(phi) * np.cos(np.pi - theta), np.cos(phi), np.sin(phi) * np.sin(np.pi - theta)])
    forward = np.asarray(lookat, dtype=np.float64) - origin
    forward /= np.linalg.norm(forward)
    up = np.array([0.0, 1.0, 0.0])
    right = -np.cross(up, forward)
    right /= np.linalg.norm(right)
    new_up = np.cross(forward, right)
    new_up /= np.linalg.norm(new_up)
    pose = np.eye(4)
    pose[:3, :3] = np.stack([right, new_up, forward], axis=1)
    pose[:3, 3] = origin
    return pose


@dataclass(frozen=True)
class AngleRecipe:
    """Cameras given by (yaw, pitch) offsets from frontal: EG3D's LookAtPoseSampler at yaw/pitch π/2 + offset
    on a sphere of `radius` about the world origin, looking at `pivot`, with a fixed normalised focal."""

    name: str
    focal: float
    pivot: tuple[float, float, float]
    radius: float = 2.7


#: VIVE3D / Talk3D: `EG3D_Generator.set_camera_parameters(focal_length=3.6, cam_pivot=[0, 0.05, 0.2])`
ANGLE_RECIPES: dict[str, AngleRecipe] = {"vive3d": AngleRecipe("vive3d", 3.6, (0.0, 0.05, 0.2))}


def camera_from_angles(yaw: float, pitch: float, recipe: str = "vive3d") -> Camera:
    """yaw, pitch in radians (0, 0 = frontal; VIVE3D's `inversion_0-0_angles.pt` rows) -> Camera."""
    r = ANGLE_RECIPES[recipe]
    pose = lookat_cam2world(np.pi / 2 + float(yaw), np.pi / 2 + float(pitch), r.radius, r.pivot)
    return Camera(cam2world=pose, intrinsics=normalized_intrinsics(r.focal), recipe=recipe)


def angles_from_camera(camera: Camera) -> tuple[float, float]:
    """Inverse of `camera_from_angles`: the (yaw, pitch) offsets that place the camera where it is."""
    r = ANGLE_RECIPES[camera.recipe]
    o = np.asarray(camera.cam2world, dtype=np.float64)[:3, 3]
    radius = float(np.linalg.norm(o))
    phi = float(np.arccos(np.clip(o[1] / radius, -1.0, 1.0)))
    theta = np.pi - float(np.arctan2(o[2], o[0]))
    v = (1 - np.cos(phi)) / 2  # LookAtPoseSampler: phi = arccos(1 - 2v), v = vertical / π
    if abs(radius - r.radius) > 1e-6:
        raise ValueError(f"camera is {radius:.4f} from the origin, not on the {r.name} sphere ({r.radius})")
    return theta - np.pi / 2, v * np.pi - np.pi / 2
