"""Putting a swapped face back into its frame: colour match, mask, erode, feather, paste.

The new face comes as float32 RGB ``(S, S, 3)`` in [0, 1] in model-crop pixels together with the
frame's 2x3 ``crop_from_frame``. Colour is matched in crop space against the original crop;
the mask is drawn in frame pixels (sharp at any face size) inside the region the crop covers;
the face is warped back with the inverse matrix into that region only.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from twoface.convert.colour import COLOURS
from twoface.geometry import invert_affine, transform_points
from twoface.masks import MASKS, erode, face_size, feather

LEARNED = "learned"
AUTO_MASK = "auto"  # the mask of the model's face type (twoface.facetypes)
AUTO_ERODE = 0.02  # of the face size, when no pixel width is given
AUTO_FEATHER = 0.08


@dataclass(frozen=True)
class BlendConfig:
    """``mask``: names from :data:`twoface.masks.MASKS` or ``learned``, joined by ``+`` for their
    intersection (``learned+components``), or ``auto``: the mask of the model's face type
    (``extended`` for ``face``, ``whole`` for ``whole``), resolved by the swapper.
    ``erode``/``feather`` in frame pixels (None: 2% / 8% of the face size; a negative erosion
    grows the mask). ``sharpen``: unsharp-mask amount (0 off)."""

    colour: str = "reinhard"
    mask: str = AUTO_MASK
    erode: int | None = None
    feather: int | None = None
    seamless: bool = False
    sharpen: float = 0.0

    def __post_init__(self) -> None:
        from twoface.errors import ConfigError

        if self.colour not in COLOURS:
            raise ConfigError(f"unknown colour method {self.colour!r}; choose from {', '.join(COLOURS)}")
        names = self.mask.split("+")
        if self.mask != AUTO_MASK and any(n != LEARNED and n not in MASKS for n in names):
            choices = ", ".join([AUTO_MASK, *MASKS, LEARNED])
            raise ConfigError(f"unknown mask {self.mask!r}; choose from {choices}, or an intersection a+b")
        if self.sharpen < 0:
            raise ConfigError(f"sharpen is an amount >= 0, not {self.sharpen}")

    def check(self, has_learned_mask: bool) -> None:
        """Raise ValueError for ``learned`` with a model that has no mask (names are checked
        when the config is made)."""
        if LEARNED in self.mask.split("+") and not has_learned_mask:
            raise ValueError("this model learned no mask; use components, extended or hull")


def _roi(frame_from_crop: np.ndarray, size: int, shape: tuple[int, ...]) -> tuple[int, int, int, int] | None:
    corners = np.array([[0, 0], [size, 0], [0, size], [size, size]], np.float64)
    points = transform_points(frame_from_crop, corners)
    x0, y0 = np.floor(points.min(axis=0)).astype(int)
    x1, y1 = np.ceil(points.max(axis=0)).astype(int)
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(shape[1], x1), min(shape[0], y1)
    return (x0, y0, x1, y1) if x1 - x0 > 1 and y1 - y0 > 1 else None


def _roi_mask(cfg: BlendConfig, landmarks, learned, to_roi, roi_shape) -> np.ndarray:
    masks = []
    for name in cfg.mask.split("+"):
        if name == LEARNED:
            masks.append(cv2.warpAffine(learned, to_roi, roi_shape[::-1], flags=cv2.INTER_LINEAR))
        else:
            masks.append(MASKS[name](landmarks, roi_shape))
    return np.minimum.reduce(masks)


def _colour_mask(landmarks_crop: np.ndarray, size: int) -> np.ndarray:
    return MASKS["components"](landmarks_crop, (size, size))


def paste(
    frame: np.ndarray,
    face: np.ndarray,
    original: np.ndarray,
    crop_from_frame: np.ndarray,
    landmarks: np.ndarray,
    cfg: BlendConfig,
    learned: np.ndarray | None = None,
) -> None:
    """Blend ``face`` (float32 ``(S, S, 3)`` [0, 1]) into RGB uint8 ``frame`` in place.
    ``original`` is the model input it replaces (uint8 ``(S, S, 3)``), ``landmarks`` the face's
    ``(68, 2)`` frame landmarks, ``learned`` the model's mask ``(S, S)`` when it has one."""
    size = face.shape[0]
    to_roi = invert_affine(crop_from_frame)  # frame_from_crop, then shifted into the ROI
    roi = _roi(to_roi, size, frame.shape)
    if roi is None:
        return
    x0, y0, x1, y1 = roi
    target = original.astype(np.float32) / 255
    face = COLOURS[cfg.colour](face, target, _colour_mask(transform_points(crop_from_frame, landmarks), size))
    to_roi[:, 2] -= (x0, y0)
    shape = (y1 - y0, x1 - x0)
    warped = cv2.warpAffine(face, to_roi, shape[::-1], flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
    inside = cv2.warpAffine(np.ones((size, size), np.float32), to_roi, shape[::-1], flags=cv2.INTER_LINEAR)
    local = landmarks - (x0, y0)
    mask = np.minimum(_roi_mask(cfg, local, learned, to_roi, shape), erode(inside, 2))
    scale = face_size(landmarks)
    mask = erode(mask, cfg.erode if cfg.erode is not None else round(AUTO_ERODE * scale))
    mask = feather(mask, cfg.feather if cfg.feather is not None else round(AUTO_FEATHER * scale))
    new = np.clip(warped * 255, 0, 255)
    if cfg.sharpen > 0:
        blur = cv2.GaussianBlur(new, (0, 0), max(1.0, scale / 100))
        new = np.clip(new + cfg.sharpen * (new - blur), 0, 255)
    region = frame[y0:y1, x0:x1]
    if cfg.seamless:
        new = seamless_region(frame, new.astype(np.uint8), mask, (x0, y0)).astype(np.float32)
    alpha = mask[..., None]
    region[:] = np.round(new * alpha + region * (1 - alpha)).astype(np.uint8)


def seamless_region(
    frame: np.ndarray, new: np.ndarray, mask: np.ndarray, origin: tuple[int, int]
) -> np.ndarray:
    """Poisson blending (OpenCV seamlessClone) of the uint8 region ``new`` (top-left corner at
    ``origin`` in ``frame``) where ``mask`` > 0.05; returns the region's new pixels. Falls back to
    ``new`` unchanged where OpenCV cannot place the clone (a face at the frame border)."""
    binary = (mask > 0.05).astype(np.uint8) * 255
    bx, by, bw, bh = cv2.boundingRect(binary)
    if bw < 3 or bh < 3:
        return new
    x0, y0 = origin
    h, w = new.shape[:2]
    try:
        cloned = cv2.seamlessClone(
            new, frame, binary, (x0 + bx + bw // 2, y0 + by + bh // 2), cv2.NORMAL_CLONE
        )
    except cv2.error:
        return new
    return cloned[y0 : y0 + h, x0 : x0 + w]
