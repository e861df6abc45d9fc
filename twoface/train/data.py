"""Training data: face set crops held in memory as uint8, random transform, colour jitter and
the random warp (input only). Images here are RGB uint8 ``(S, S, 3)`` until :func:`to_tensor`
makes ``(B, 3, S, S)`` float32 in [0, 1]."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from twoface.extract.faceset import FaceSet
from twoface.geometry import compose_affine, subcrop_matrix, transform_points
from twoface.types import CropSpec

WORK_SCALE = 1.25  # crops are kept this much larger than the model input, for transforms


@dataclass(frozen=True)
class AugmentConfig:
    """Random transform (degrees, fractions of the crop), flip probability, colour jitter
    (fractions), and warp: std of the 5x5 control-point offsets as a fraction of the crop."""

    rotation: float = 10.0
    zoom: float = 0.05
    shift: float = 0.05
    flip: float = 0.5
    brightness: float = 0.1
    contrast: float = 0.1
    warp: float = 0.025


def work_spec(model: CropSpec) -> CropSpec:
    """The larger crop kept in memory: same centre and scale, ``WORK_SCALE`` times the side."""
    size = round(model.size * WORK_SCALE)
    inner = model.size * (1 - 2 * model.margin)
    return CropSpec(size=size, margin=(1 - inner / size) / 2)


def face_mask(landmarks: np.ndarray, size: int) -> np.ndarray:
    """Loss weights ``(size, size)`` float32 from crop-space landmarks: 1 inside the face hull
    (brows lifted to cover the forehead), 3 on the eyes and brows, 2 on the mouth, 0.1 outside."""
    weights = np.full((size, size), 0.1, np.float32)
    face = landmarks.copy()
    face[17:27, 1] -= 0.15 * (face[:, 1].max() - face[:, 1].min())
    cv2.fillConvexPoly(weights, cv2.convexHull(face.astype(np.int32)), 1.0)
    for region, value in ((slice(48, 60), 2.0), (slice(36, 42), 3.0), (slice(42, 48), 3.0)):
        hull = cv2.convexHull(landmarks[region].astype(np.int32))
        cv2.fillConvexPoly(weights, hull, value)
    return weights


class FaceData:
    """All faces of one face set at ``work_spec(spec)``, with their loss-weight masks."""

    def __init__(self, faceset: FaceSet, spec: CropSpec) -> None:
        records = faceset.records()
        work = work_spec(spec)
        store = faceset.crop_spec
        m = subcrop_matrix(store.size, store.margin, work.size, work.margin)
        self.spec, self.work = spec, work
        self.images = np.stack([self._cut(faceset.load_crop(r), m, work.size) for r in records])
        self.masks = np.stack(
            [
                face_mask(
                    transform_points(compose_affine(m, np.array(r.crop_from_frame)), r.landmarks_array()),
                    work.size,
                )
                for r in records
            ]
        )

    @staticmethod
    def _cut(crop: np.ndarray, m: np.ndarray, size: int) -> np.ndarray:
        return cv2.warpAffine(crop, m, (size, size), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE)

    def __len__(self) -> int:
        return len(self.images)

    def sample(self, n: int, aug: AugmentConfig, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
        """``(inputs, targets, weights)``: warped inputs and unwarped targets ``(n, S, S, 3)``
        uint8, weights ``(n, S, S)`` float32."""
        idx = rng.integers(0, len(self), n)
        out = [augment(self.images[i], self.masks[i], self.spec.size, aug, rng) for i in idx]
        return tuple(np.stack(parts) for parts in zip(*out, strict=True))


def random_transform(work: int, size: int, aug: AugmentConfig, rng: np.random.Generator) -> np.ndarray:
    """2x3 ``model_from_work`` matrix: centred crop of ``size`` from a ``work`` px image, with a
    random rotation, zoom and shift."""
    angle = rng.uniform(-aug.rotation, aug.rotation)
    scale = 1 + rng.uniform(-aug.zoom, aug.zoom)
    m = cv2.getRotationMatrix2D((work / 2, work / 2), angle, scale)
    m[:, 2] += rng.uniform(-aug.shift, aug.shift, 2) * size - (work - size) / 2
    return m


def random_warp(
    image: np.ndarray, strength: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Smoothly warp an ``(S, S, 3)`` image: a 5x5 grid of random offsets (std ``strength * S``
    px, edges pinned) interpolated to a dense flow. Returns ``(warped, flow)``, flow
    ``(S, S, 2)`` in px (where each output pixel samples from, relative to itself)."""
    size = image.shape[0]
    grid = rng.normal(0, strength * size, (5, 5, 2)).astype(np.float32)
    grid[[0, -1], :] = 0
    grid[:, [0, -1]] = 0
    flow = cv2.resize(grid, (size, size), interpolation=cv2.INTER_CUBIC)
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float32)
    warped = cv2.remap(
        image, xs + flow[..., 0], ys + flow[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    return warped, flow


def colour_jitter(image: np.ndarray, aug: AugmentConfig, rng: np.random.Generator) -> np.ndarray:
    b = rng.uniform(-aug.brightness, aug.brightness) * 255
    c = 1 + rng.uniform(-aug.contrast, aug.contrast)
    mean = image.mean()
    return np.clip((image.astype(np.float32) - mean) * c + mean + b, 0, 255).astype(np.uint8)


def augment(image, mask, size: int, aug: AugmentConfig, rng: np.random.Generator):
    """One training pair from one work-size face: ``(warped input, target, weights)``."""
    m = random_transform(image.shape[0], size, aug, rng)
    target = cv2.warpAffine(image, m, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    weights = cv2.warpAffine(mask, m, (size, size), flags=cv2.INTER_LINEAR, borderValue=0.1)
    if rng.random() < aug.flip:
        target, weights = target[:, ::-1], weights[:, ::-1]
    target = colour_jitter(np.ascontiguousarray(target), aug, rng)
    warped, _ = random_warp(target, aug.warp, rng)
    return warped, target, np.ascontiguousarray(weights)


def to_tensor(batch: np.ndarray):
    """``(B, S, S, 3)`` uint8 -> ``(B, 3, S, S)`` float32 in [0, 1], NCHW-contiguous (a permuted,
    NHWC-strided tensor would send CPU convolutions down a much slower path)."""
    import torch

    return torch.from_numpy(batch).permute(0, 3, 1, 2).float().div_(255).contiguous()
