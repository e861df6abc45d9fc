"""Training data: face set crops held in memory as uint8 at their stored resolution, and the
sampler that turns them into training pairs.

Each stored crop is prefiltered once, at load, for the scale from the store to the model's
output crop (:func:`twoface.extract.align.antialias_sigma`); a sample is then one bicubic warp
from the stored crop to the output crop with the random rotation, zoom and shift folded in: one
antialiased resample, as convert cuts faces. The target is that output crop; the input is the
same face, colour-jittered and randomly warped, shrunk by an area resize to the model's input
size. Images here are RGB uint8 ``(S, S, 3)`` until :func:`to_tensor` makes
``(B, 3, S, S)`` float32 in [0, 1].
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from twoface.extract.align import antialias_sigma
from twoface.extract.faceset import FaceSet
from twoface.geometry import compose_affine, scale_of, subcrop_matrix, transform_points
from twoface.landmark_parts import LANDMARKS_68
from twoface.masks import FOREHEAD, lift_brows
from twoface.types import CropSpec


@dataclass(frozen=True)
class AugmentConfig:
    """Random transform (degrees, fractions of the crop), flip probability, colour jitter
    (fractions), and warp: std of the 5x5 control-point offsets as a fraction of the crop
    (0: no warp, the sharpening phase)."""

    rotation: float = 10.0
    zoom: float = 0.05
    shift: float = 0.05
    flip: float = 0.5
    brightness: float = 0.1
    contrast: float = 0.1
    warp: float = 0.025


def face_mask(landmarks: np.ndarray, size: int, forehead: float = FOREHEAD) -> np.ndarray:
    """Loss weights ``(size, size)`` float32 from crop-space landmarks: 1 inside the face hull
    (brows lifted by ``forehead``, as the face type's convert mask lifts them), 3 on the eyes,
    2 on the mouth, 0.1 outside."""
    weights = np.full((size, size), 0.1, np.float32)
    face = lift_brows(landmarks, forehead)
    cv2.fillConvexPoly(weights, cv2.convexHull(np.round(face).astype(np.int32)), 1.0)
    for part, value in (("outer_mouth", 2.0), ("right_eye", 3.0), ("left_eye", 3.0)):
        region = LANDMARKS_68[part]
        hull = cv2.convexHull(np.round(landmarks[region]).astype(np.int32))
        cv2.fillConvexPoly(weights, hull, value)
    return weights


class FaceData:
    """All faces of one face set, for a model with input ``spec`` and output side ``out_size``
    (same framing). ``images``: the stored crops, prefiltered; ``out_from_store``: each one's
    2x3 matrix to the output crop; ``landmarks``: each face's ``(68, 2)`` in output-crop px.
    ``store_scale``: the median frame-to-store scale (< 1: the store shrank the faces).
    ``records``: the face set's records when the caller has read them already. ``hi``: the side
    of a second, larger target (a 2x refiner's, same framing), 0 for none; its crops are kept
    prefiltered for that size in ``hi_images``, and ``hi_from_out`` maps output-crop px to it."""

    def __init__(
        self,
        faceset: FaceSet,
        spec: CropSpec,
        out_size: int | None = None,
        forehead=FOREHEAD,
        records=None,
        hi: int = 0,
    ):
        records = faceset.records() if records is None else records
        self.spec = spec
        self.out = CropSpec(out_size or spec.size, spec.margin)
        self.hi = CropSpec(hi, spec.margin) if hi else None
        if self.hi is not None:  # output-crop px -> hi-crop px, and back: once, not per sample
            self.hi_from_out = subcrop_matrix(self.out.size, self.out.margin, hi, spec.margin)
            self._out_from_hi = cv2.invertAffineTransform(self.hi_from_out)
        self.forehead = forehead
        self.images, self.out_from_store, self.landmarks, scales = [], [], [], []
        self.hi_images, self.hi_from_store = [], []
        for r in records:
            crop = faceset.load_crop(r)
            store = CropSpec(crop.shape[0], faceset.crop_spec.margin)
            m = subcrop_matrix(store.size, store.margin, self.out.size, self.out.margin)
            self.images.append(_prefilter(crop, m))
            self.out_from_store.append(m)
            if self.hi is not None:
                m_hi = subcrop_matrix(store.size, store.margin, self.hi.size, self.hi.margin)
                self.hi_images.append(_prefilter(crop, m_hi))
                self.hi_from_store.append(m_hi)
            to_out = compose_affine(m, np.array(r.crop_from_frame) * (store.size / faceset.spec_of(r).size))
            self.landmarks.append(transform_points(to_out, r.landmarks_array()))
            scales.append(scale_of(np.array(r.crop_from_frame)))
        self.store_scale = float(np.median(scales)) if scales else 1.0

    def __len__(self) -> int:
        return len(self.images)

    def cut(self, i: int, model_from_out: np.ndarray | None = None) -> np.ndarray:
        """Face ``i`` at the output crop (uint8 ``(O, O, 3)``), moved by ``model_from_out``."""
        m = self.out_from_store[i]
        if model_from_out is not None:
            m = compose_affine(model_from_out, m)
        return _warp(self.images[i], m, self.out.size)

    def cut_hi(self, i: int, moved_out: np.ndarray) -> np.ndarray:
        """Face ``i`` at the larger ``hi`` crop, moved as ``moved_out`` (a 2x3 matrix in output-crop
        px) moves the output crop: uint8 ``(H, H, 3)``."""
        moved = compose_affine(self.hi_from_out, compose_affine(moved_out, self._out_from_hi))
        return _warp(self.hi_images[i], compose_affine(moved, self.hi_from_store[i]), self.hi.size)

    def fixed(self, n: int = 6) -> np.ndarray:
        """``n`` evenly spaced faces at the output crop, untransformed ``(n, O, O, 3)``."""
        idx = np.linspace(0, len(self) - 1, n).round().astype(int)
        return np.stack([self.cut(int(i)) for i in idx])

    def sample(self, n: int, aug: AugmentConfig, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
        """``(inputs, targets, weights)``: warped inputs ``(n, S, S, 3)`` and unwarped targets
        ``(n, O, O, 3)`` uint8, weights ``(n, O, O)`` float32; with ``hi``, then the same
        targets and weights at ``(n, H, H, 3)`` and ``(n, H, H)`` (same transform, flip and
        colour)."""
        idx = rng.integers(0, len(self), n)
        out = [self._pair(int(i), aug, rng) for i in idx]
        return tuple(np.stack(parts) for parts in zip(*out, strict=True))

    def _pair(self, i: int, aug: AugmentConfig, rng: np.random.Generator):
        size = self.out.size
        m = random_transform(size, aug, rng)
        targets = [(self.cut(i, m), face_mask(transform_points(m, self.landmarks[i]), size, self.forehead))]
        if self.hi is not None:
            points = transform_points(compose_affine(self.hi_from_out, m), self.landmarks[i])
            targets.append((self.cut_hi(i, m), face_mask(points, self.hi.size, self.forehead)))
        flip = rng.random() < aug.flip
        shift, gain = jitter_params(aug, rng)
        targets = [(_flip(t, flip), _flip(w, flip)) for t, w in targets]
        mean = targets[0][0].mean()
        targets = [(colour_jitter(t, shift, gain, mean), w) for t, w in targets]
        target = targets[0][0]
        warped = random_warp(target, aug.warp, rng)[0] if aug.warp > 0 else target
        if self.spec.size != size:
            warped = cv2.resize(warped, (self.spec.size,) * 2, interpolation=cv2.INTER_AREA)
        return warped, *(part for pair in targets for part in pair)


def random_transform(size: int, aug: AugmentConfig, rng: np.random.Generator) -> np.ndarray:
    """2x3 matrix moving a ``size`` px crop by a random rotation and zoom about its centre and a
    random shift (fractions of ``size``)."""
    angle = rng.uniform(-aug.rotation, aug.rotation)
    scale = 1 + rng.uniform(-aug.zoom, aug.zoom)
    m = cv2.getRotationMatrix2D((size / 2, size / 2), angle, scale)
    m[:, 2] += rng.uniform(-aug.shift, aug.shift, 2) * size
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


def jitter_params(aug: AugmentConfig, rng: np.random.Generator) -> tuple[float, float]:
    """A random brightness shift (uint8 levels) and contrast gain."""
    return rng.uniform(-aug.brightness, aug.brightness) * 255, 1 + rng.uniform(-aug.contrast, aug.contrast)


def colour_jitter(image: np.ndarray, shift: float, gain: float, mean: float) -> np.ndarray:
    """``image`` (uint8) with its contrast scaled by ``gain`` about ``mean`` and ``shift`` added."""
    return np.clip((image.astype(np.float32) - mean) * gain + mean + shift, 0, 255).astype(np.uint8)


def _flip(image: np.ndarray, flip: bool) -> np.ndarray:
    return np.ascontiguousarray(image[:, ::-1] if flip else image)


def _prefilter(crop: np.ndarray, m: np.ndarray) -> np.ndarray:
    """``crop`` blurred for the shrink of ``m`` (a 2x3 matrix), so one warp by it does not alias."""
    sigma = antialias_sigma(scale_of(m))
    if sigma <= 0.25:
        return crop
    return cv2.GaussianBlur(crop, (0, 0), sigma, borderType=cv2.BORDER_REPLICATE)


def _warp(image: np.ndarray, m: np.ndarray, size: int) -> np.ndarray:
    return cv2.warpAffine(image, m, (size, size), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)


def to_tensor(batch: np.ndarray):
    """``(B, S, S, 3)`` uint8 -> ``(B, 3, S, S)`` float32 in [0, 1], NCHW-contiguous (a permuted,
    NHWC-strided tensor would send CPU convolutions down a much slower path)."""
    import torch

    return torch.from_numpy(batch).permute(0, 3, 1, 2).float().div_(255).contiguous()
