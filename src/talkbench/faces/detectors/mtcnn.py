"""MTCNN (P-, R-, O-Net cascade) with the real weights from the installed facenet-pytorch wheel.

The networks and their loading are talkbench.nets.mtcnn; this module is the
cascade: an image pyramid (smallest face 20 px, factor 0.709) through P-Net, then R-Net on 24×24
crops and O-Net on 48×48 crops, thresholds (0.6, 0.7, 0.7), box regression, squaring and NMS
(0.5 per scale, 0.7 across scales and after R-Net, 0.7 "min" overlap after O-Net), as in
facenet-pytorch's detect_face. O-Net gives the five points.
"""
from __future__ import annotations

import math

import numpy as np

from ..detection import FaceBox, FaceDetector


def nms(boxes: np.ndarray, scores: np.ndarray, threshold: float, mode: str = "union") -> np.ndarray:
    """Indices kept by greedy NMS; overlap = intersection / union, or / the smaller area ("min")."""
    x0, y0, x1, y1 = boxes.T
    area = (x1 - x0 + 1) * (y1 - y0 + 1)
    order = np.argsort(scores)[::-1]
    keep = []
    while order.size:
        i = order[0]
        keep.append(i)
        w = np.maximum(0.0, np.minimum(x1[i], x1[order[1:]]) - np.maximum(x0[i], x0[order[1:]]) + 1)
        h = np.maximum(0.0, np.minimum(y1[i], y1[order[1:]]) - np.maximum(y0[i], y0[order[1:]]) + 1)
        inter = w * h
        denom = np.minimum(area[i], area[order[1:]]) if mode == "min" else area[i] + area[order[1:]] - inter
        order = order[1:][inter / denom <= threshold]
    return np.asarray(keep, dtype=np.int64)


def regress(boxes: np.ndarray, reg: np.ndarray) -> np.ndarray:
    w = boxes[:, 2] - boxes[:, 0] + 1
    h = boxes[:, 3] - boxes[:, 1] + 1
    out = boxes.copy()
    out[:, 0] += reg[:, 0] * w
    out[:, 1] += reg[:, 1] * h
    out[:, 2] += reg[:, 2] * w
    out[:, 3] += reg[:, 3] * h
    return out


def squared(boxes: np.ndarray) -> np.ndarray:
    w = boxes[:, 2] - boxes[:, 0]
    h = boxes[:, 3] - boxes[:, 1]
    side = np.maximum(w, h)
    out = boxes.copy()
    out[:, 0] = boxes[:, 0] + w * 0.5 - side * 0.5
    out[:, 1] = boxes[:, 1] + h * 0.5 - side * 0.5
    out[:, 2:4] = out[:, 0:2] + side[:, None]
    return out


class MTCNNDetector(FaceDetector):
    id = "mtcnn-facenet-pytorch"
    preprocessing_version = "1"

    def __init__(self, min_face: int = 20, factor: float = 0.709, thresholds: tuple[float, float, float] = (0.6, 0.7, 0.7)):
        from ...nets.mtcnn import WEIGHTS_IDS, load_mtcnn_net
        from ...weights.store import verified_weights

        self._sha = "".join(verified_weights(WEIGHTS_IDS[n]).sha256 for n in ("pnet", "rnet", "onet"))
        self.pnet, self.rnet, self.onet = (load_mtcnn_net(n) for n in ("pnet", "rnet", "onet"))
        self.min_face, self.factor, self.thresholds = min_face, factor, thresholds

    @property
    def weights_sha256(self) -> str:
        import hashlib

        return hashlib.sha256(self._sha.encode()).hexdigest()

    @staticmethod
    def _crops(img, boxes: np.ndarray, size: int):
        """Integer crops of `boxes` (zero outside the image), resized to size×size with area averaging."""
        import torch
        import torch.nn.functional as F

        h, w = img.shape[1:]
        out = []
        for x0, y0, x1, y1 in np.floor(boxes[:, :4]).astype(int):
            x1, y1 = max(x1, x0 + 1), max(y1, y0 + 1)
            patch = torch.zeros(3, y1 - y0, x1 - x0)
            sx0, sy0, sx1, sy1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
            if sx1 > sx0 and sy1 > sy0:
                patch[:, sy0 - y0:sy1 - y0, sx0 - x0:sx1 - x0] = img[:, sy0:sy1, sx0:sx1]
            out.append(F.interpolate(patch[None], size=(size, size), mode="area")[0])
        return torch.stack(out)

    def detect_one(self, frame: np.ndarray) -> list[FaceBox]:
        import torch
        import torch.nn.functional as F

        from ...nets.mtcnn import normalize_pixels

        img = torch.from_numpy(np.array(frame, dtype=np.float32)).permute(2, 0, 1)
        h, w = frame.shape[:2]
        m = 12.0 / self.min_face
        scales, minl = [], min(h, w) * m
        while minl >= 12:
            scales.append(m * self.factor ** len(scales))
            minl *= self.factor
        cands = []
        with torch.no_grad():
            for s in scales:
                x = F.interpolate(img[None], size=(int(math.ceil(h * s)), int(math.ceil(w * s))), mode="area")
                reg, prob = self.pnet(normalize_pixels(x))
                ys, xs = np.nonzero(prob[0, 1].numpy() >= self.thresholds[0])
                if ys.size == 0:
                    continue
                score = prob[0, 1].numpy()[ys, xs]
                b = np.stack([np.floor((2 * xs + 1) / s), np.floor((2 * ys + 1) / s),
                              np.floor((2 * xs + 12) / s), np.floor((2 * ys + 12) / s), score], axis=1)
                r = reg[0].numpy()[:, ys, xs].T
                keep = nms(b[:, :4], b[:, 4], 0.5)
                cands.append(np.concatenate([b[keep], r[keep]], axis=1))
            if not cands:
                return []
            c = np.concatenate(cands)
            c = c[nms(c[:, :4], c[:, 4], 0.7)]
            boxes = squared(np.concatenate([regress(c[:, :4], c[:, 5:9]), c[:, 4:5]], axis=1))
            # R-Net
            reg, prob = self.rnet(normalize_pixels(self._crops(img, boxes, 24)))
            ok = prob[:, 1].numpy() > self.thresholds[1]
            boxes, reg = boxes[ok], reg.numpy()[ok]
            boxes[:, 4] = prob[:, 1].numpy()[ok]
            if not len(boxes):
                return []
            keep = nms(boxes[:, :4], boxes[:, 4], 0.7)
            boxes = squared(np.concatenate([regress(boxes[keep, :4], reg[keep]), boxes[keep, 4:5]], axis=1))
            # O-Net
            reg, lm, prob = self.onet(normalize_pixels(self._crops(img, boxes, 48)))
            ok = prob[:, 1].numpy() > self.thresholds[2]
            boxes, reg, lm = boxes[ok], reg.numpy()[ok], lm.numpy()[ok]
            boxes[:, 4] = prob[:, 1].numpy()[ok]
        if not len(boxes):
            return []
        bw = boxes[:, 2] - boxes[:, 0] + 1
        bh = boxes[:, 3] - boxes[:, 1] + 1
        px = bw[:, None] * lm[:, 0:5] + boxes[:, 0:1] - 1
        py = bh[:, None] * lm[:, 5:10] + boxes[:, 1:2] - 1
        boxes = np.concatenate([regress(boxes[:, :4], reg), boxes[:, 4:5]], axis=1)
        keep = nms(boxes[:, :4], boxes[:, 4], 0.7, mode="min")
        return [FaceBox(float(b[0]), float(b[1]), float(b[2]), float(b[3]), float(b[4]),
                        np.stack([px[i], py[i]], axis=1).astype(np.float64))
                for i, b in zip(keep, boxes[keep])]
