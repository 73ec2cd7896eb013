"""Region quality: a paired pixel or perceptual metric on mouth or eye crops placed by landmarks.

The crop comes from the REFERENCE frame's iBUG-68 landmarks (mediapipe by default) and is applied to both
frames, so a misplaced mouth in the generated frame is measured, not re-centred. With IOD the distance of
the two eye centres (means of points 36–41 and 42–47):
  mouth: a square of side 1.2·IOD centred on the mean of the mouth points 48–67, resampled to 96×96;
  eyes:  a 2.0·IOD × 0.8·IOD box centred between the eye centres, resampled to 160×64.
Landmarks are continuous image coordinates (pixel i spans [i, i+1)). Resampling is bilinear (torch
grid_sample, align_corners=False, border replicated), no antialiasing. The
base metric (psnr, ssim, l1, lpips) then scores the crops exactly as it scores frames. A reference frame
without landmarks is a missing frame (its reason recorded), never a zero.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import torch
import torch.nn.functional as F

from .base import Metric, MetricValue, Reduction, StateField, mean_or_none
from .card import MetricCard, MetricKind
from .face_backbones import LANDMARK_BACKBONES, pick


@dataclass(frozen=True)
class RegionSpec:
    width_iod: float
    height_iod: float
    size: tuple[int, int]  # output (width, height) in pixels
    centre: str  # "mouth" | "eyes"


REGIONS = {
    "mouth": RegionSpec(1.2, 1.2, (96, 96), "mouth"),
    "eyes": RegionSpec(2.0, 0.8, (160, 64), "eyes"),
}
BASES = ("psnr", "ssim", "l1", "lpips")


def region_box(points: np.ndarray, region: str) -> tuple[float, float, float, float]:
    """(centre x, centre y, width, height) in pixels of a region, from 68 landmarks."""
    p = np.asarray(points, dtype=np.float64)[:, :2]
    right, left = p[36:42].mean(axis=0), p[42:48].mean(axis=0)
    iod = float(np.linalg.norm(left - right))
    spec = REGIONS[region]
    centre = p[48:68].mean(axis=0) if spec.centre == "mouth" else (right + left) / 2
    return float(centre[0]), float(centre[1]), spec.width_iod * iod, spec.height_iod * iod


def crop(images: torch.Tensor, boxes: list[tuple[float, float, float, float]], size: tuple[int, int]) -> torch.Tensor:
    """Bilinear crops (N×3×h×w, float64) of N×3×H×W images, one box (cx, cy, w, h) in pixels each."""
    n, _, H, W = images.shape
    out_w, out_h = size
    theta = torch.zeros(n, 2, 3, dtype=torch.float64)
    for i, (cx, cy, w, h) in enumerate(boxes):
        # normalised coordinates (align_corners=False): x_norm = (2x + 1)/W − 1 for pixel centres x
        theta[i, 0, 0], theta[i, 0, 2] = w / W, 2 * cx / W - 1
        theta[i, 1, 1], theta[i, 1, 2] = h / H, 2 * cy / H - 1
    grid = F.affine_grid(theta, [n, 3, out_h, out_w], align_corners=False)
    return F.grid_sample(images.to(torch.float64), grid, mode="bilinear", padding_mode="border", align_corners=False)


class RegionMetric(Metric):
    defaults: ClassVar[dict[str, Any]] = {"base": "psnr", "region": "mouth", "landmarks": "mediapipe"}
    state_fields = (
        StateField("_values", Reduction.CAT, "per-frame float64 values of the region crops"),
        StateField("_missing", Reduction.ITEMS, "(frame name, reason) of frames whose reference had no landmarks"),
    )
    batch_size: ClassVar[int] = 16
    card = MetricCard(
        name="region", version="1.0", higher_is_better=None, range=(None, None), unit="(base metric)",
        kind=MetricKind.PAIRED_FRAME, inputs=("pred_frames", "gt_frames"),
        preprocessing="(see the instance card)", description="A paired metric on landmark-placed mouth or eye crops.",
        aggregation="mean over frames", references=("Talk3D (face / mouth regions)", "THEval (mouth quality)"),
    )

    def validate_options(self) -> None:
        if self.options["base"] not in BASES:
            raise ValueError(f"base must be one of {BASES}, got {self.options['base']!r}")
        if self.options["region"] not in REGIONS:
            raise ValueError(f"region must be one of {sorted(REGIONS)}, got {self.options['region']!r}")
        pick(LANDMARK_BACKBONES, self.options["landmarks"], self.name)

    def base_metric(self):
        from .registry import get_metric

        return get_metric(self.options["base"])

    @property
    def instance_card(self) -> MetricCard:
        from .registry import REGISTRY

        base = REGISTRY.card(self.options["base"])
        spec = REGIONS[self.options["region"]]
        lm = LANDMARK_BACKBONES[self.options["landmarks"]]
        return super().instance_card.with_options(
            higher_is_better=base.higher_is_better, range=base.range, unit=base.unit, backbone=lm.ref(),
            description=f"{base.name} on the {self.options['region']} crop of generated and reference frames.",
            preprocessing=f"{self.options['region']} box {spec.width_iod}×{spec.height_iod} IOD from the reference frame's "
            f"{lm.label} landmarks, bilinear resample to {spec.size[0]}×{spec.size[1]}; then base metric {base.name} "
            f"v{base.version}: {base.preprocessing}")

    def update(self, pred: torch.Tensor, gt: torch.Tensor, boxes: list[tuple[float, float, float, float]],
               analysis: Any = None) -> np.ndarray:
        """Per-frame values of the base metric on the crops of N×3×H×W images in [0,1] at the given boxes."""
        size = REGIONS[self.options["region"]].size
        base = self.base_metric()
        if analysis is not None and hasattr(base, "use_analysis"):
            base.use_analysis(analysis)
        vals = base.score_frames(crop(pred, boxes, size), crop(gt, boxes, size), None).detach().to(torch.float64).numpy()
        self._values.append(vals.reshape(-1).copy())
        return vals

    def update_item(self, ctx):
        from .context import ItemScore

        ref = ctx.reference("gt")
        if len(ref) != len(ctx.pred):
            raise ValueError(f"item '{ctx.item_id}': {len(ctx.pred)} predicted frames but {len(ref)} reference frames")
        records = ctx.analysis.run(LANDMARK_BACKBONES[self.options["landmarks"]].analysis, ref)
        keep, boxes, missing = [], [], []
        for i, rec in enumerate(records):
            if rec.ok:
                keep.append(i)
                boxes.append(region_box(rec["points"], self.options["region"]))
            else:
                missing.append((ctx.pred.names[i], f"reference frame: {rec.missing}"))
        self._missing.extend(missing)
        vals = [self.update(ctx.pred.tensor(keep[s:s + self.batch_size], torch.float64),
                            ref.tensor(keep[s:s + self.batch_size], torch.float64), boxes[s:s + self.batch_size], ctx.analysis)
                for s in range(0, len(keep), self.batch_size)]
        v = np.concatenate(vals) if vals else np.zeros(0)
        return ItemScore(mean_or_none(v), int(v.size), missing_frames=missing)

    def compute(self) -> MetricValue:
        v = np.concatenate(self._values) if self._values else np.zeros(0)
        extra = {"missing_frames": len(self._missing)} if self._missing else {}
        return MetricValue(self.name, mean_or_none(v), int(v.size), v.tolist(), extra)
