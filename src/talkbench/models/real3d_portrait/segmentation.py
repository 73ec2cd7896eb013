"""Real3D-Portrait's official 6-class segmentation: mediapipe `selfie_multiclass_256x256.tflite`.

The released pre-processing runs mediapipe.tasks' ImageSegmenter (category mask, IMAGE mode) on the
source resized to 512×512 and one-hot encodes the classes [bg, hair, body_skin, face_skin, clothes,
others]. The head is hair ∪ face_skin ∪ others (glasses and hats are "others"), the torso is
body_skin ∪ clothes. The model file is not inside the mediapipe wheel: it is the catalogued weights
file `selfie_multiclass_256x256` (`talkbench weights import PATH --id selfie_multiclass_256x256`);
without it, MissingWeightsError. No hash is published, so the file's own sha256 is recorded.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ...errors import InputError

SEGMENTER_WEIGHTS_ID = "selfie_multiclass_256x256"
SEG_CLASSES = ("bg", "hair", "body_skin", "face_skin", "clothes", "others")
HEAD_CLASSES = (1, 3, 5)
TORSO_CLASSES = (2, 4)
OFFICIAL_INPUT_SIZE = 512


def one_hot(category: np.ndarray, n_classes: int = len(SEG_CLASSES)) -> np.ndarray:
    """(H, W) class ids -> (n_classes, H, W) bool."""
    category = np.asarray(category)
    return category[None] == np.arange(n_classes)[:, None, None]


def head_mask(seg: np.ndarray) -> np.ndarray:
    return np.asarray(seg)[list(HEAD_CLASSES)].any(axis=0)


def torso_mask(seg: np.ndarray) -> np.ndarray:
    return np.asarray(seg)[list(TORSO_CLASSES)].any(axis=0)


def resize_rgb(frame: np.ndarray, size: int) -> np.ndarray:
    """Bilinear resize of an (H, W, 3) uint8 frame to size×size uint8."""
    import torch
    import torch.nn.functional as F

    t = torch.as_tensor(np.ascontiguousarray(frame)).permute(2, 0, 1)[None].float()
    if t.shape[-2:] != (size, size):
        t = F.interpolate(t, size=(size, size), mode="bilinear", align_corners=False, antialias=True)
    return t[0].permute(1, 2, 0).round().clamp(0, 255).byte().numpy()


def segmenter_file(path: str | Path | None = None):
    """The model file as a VerifiedFile: an explicit path, else the installed catalog file."""
    from ...weights.store import VerifiedFile, check_sha256, verified_weights

    if path is None:
        return verified_weights(SEGMENTER_WEIGHTS_ID)
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "selfie_multiclass_256x256.tflite not found",
                         f"pass the file's path, or install it: talkbench weights import PATH --id {SEGMENTER_WEIGHTS_ID}")
    return VerifiedFile(path, check_sha256(path, None))


class MulticlassSegmenter:
    """frame (H, W, 3) uint8 RGB -> one-hot (6, 512, 512) bool at the official 512² working size."""

    id = "mediapipe-selfie-multiclass-256"

    def __init__(self, path: str | Path | None = None):
        from mediapipe.tasks.python import BaseOptions, vision

        self.file = segmenter_file(path)
        options = vision.ImageSegmenterOptions(base_options=BaseOptions(model_asset_path=str(self.file.path)),
                                               running_mode=vision.RunningMode.IMAGE, output_category_mask=True,
                                               output_confidence_masks=False)
        self._segmenter = vision.ImageSegmenter.create_from_options(options)

    @property
    def weights_sha256(self) -> str:
        return self.file.sha256

    def __call__(self, frame: np.ndarray) -> np.ndarray:
        import mediapipe as mp

        image = mp.Image(image_format=mp.ImageFormat.SRGB, data=resize_rgb(frame, OFFICIAL_INPUT_SIZE))
        category = self._segmenter.segment(image).category_mask.numpy_view()
        return one_hot(np.asarray(category).reshape(OFFICIAL_INPUT_SIZE, OFFICIAL_INPUT_SIZE))
