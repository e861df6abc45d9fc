"""Face masks from 68 landmarks, and their erosion and feathering.

A mask is a float32 ``(H, W)`` array in [0, 1] (1 = the swapped face shows). Landmarks are
``(68, 2)`` float ``x, y`` in pixels of the image the mask is drawn for. ``MASKS`` maps a mask
name to a function ``(landmarks, (h, w)) -> mask``; the ``learned`` mask is not here because it
comes out of the model (see :mod:`twoface.convert.blend`).
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

from twoface.landmark_parts import LANDMARKS_68, POINTS, indices

MaskFn = Callable[[np.ndarray, tuple[int, int]], np.ndarray]

# Overlapping parts whose hulls, joined, follow the face outline and its concave jaw-to-brow sides
# (a single hull of all points would spill over the cheeks of a turned face).
_NOSE_LINE = indices("nose_bridge", "nose_base")
_JAW = indices("jaw")
_PARTS = (
    _JAW[: POINTS["chin"] + 1] + indices("right_brow") + _NOSE_LINE,  # the person's right side
    _JAW[POINTS["chin"] :] + indices("left_brow") + _NOSE_LINE,  # the left side
    indices("brows", "bridge_top"),
    indices("nose", "mouth"),
)
FOREHEAD = 0.2  # extended: brows lifted by this fraction of the face height (face type "face")
WHOLE_FOREHEAD = 0.35  # whole: up to about the hairline (face type "whole"), within its crop


def _hulls(points: np.ndarray, shape: tuple[int, int], parts) -> np.ndarray:
    mask = np.zeros(shape, np.float32)
    for part in parts:
        hull = cv2.convexHull(np.round(points[part]).astype(np.int32))
        cv2.fillConvexPoly(mask, hull, 1.0, lineType=cv2.LINE_AA)
    return mask


def components(landmarks: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Jaw line up to the eyebrows, as the union of four part hulls."""
    return _hulls(landmarks, shape, _PARTS)


def lift_brows(landmarks: np.ndarray, fraction: float) -> np.ndarray:
    """A copy of ``(68, 2)`` landmarks with the brows moved up by ``fraction`` of the
    landmarks' height, along the chin-to-nose-bridge line (so a tilted face lifts along its own
    axis). The one definition of "the forehead" for masks and training loss weights."""
    points = np.asarray(landmarks, np.float64).copy()
    height = points[:, 1].max() - points[:, 1].min()
    chin_to_brow = points[POINTS["chin"]] - points[POINTS["bridge_top"]]
    lift = chin_to_brow / (np.linalg.norm(chin_to_brow) + 1e-9) * fraction * height
    points[LANDMARKS_68["brows"]] -= lift
    return points


def extended(landmarks: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """:func:`components` with the brows raised by ``FOREHEAD`` of the face height, so the lower
    forehead is swapped too (face type ``face``)."""
    return _hulls(lift_brows(landmarks, FOREHEAD), shape, _PARTS)


def whole(landmarks: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """:func:`components` with the brows raised by ``WHOLE_FOREHEAD``: the forehead up to about
    the hairline (face type ``whole``)."""
    return _hulls(lift_brows(landmarks, WHOLE_FOREHEAD), shape, _PARTS)


def hull(landmarks: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Convex hull of all 68 points."""
    return _hulls(landmarks, shape, (list(range(68)),))


MASKS: dict[str, MaskFn] = {"components": components, "extended": extended, "whole": whole, "hull": hull}


def erode(mask: np.ndarray, pixels: int) -> np.ndarray:
    """Shrink (``pixels`` > 0) or grow (< 0) a mask by about ``pixels`` with an elliptic kernel."""
    if pixels == 0:
        return mask
    size = 2 * abs(pixels) + 1
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    return (cv2.erode if pixels > 0 else cv2.dilate)(mask, kernel)


def feather(mask: np.ndarray, pixels: int) -> np.ndarray:
    """Soften the edge over about ``pixels``: a Gaussian blur whose kernel spans that width, made
    after an erosion by half of it so the soft edge stays inside the original mask."""
    if pixels <= 0:
        return mask
    inner = erode(mask, pixels // 2)
    size = 2 * pixels + 1
    return cv2.GaussianBlur(inner, (size, size), pixels / 3)


def face_size(landmarks: np.ndarray) -> float:
    """The longer side of the landmarks' bounding box, in pixels: the scale for auto widths."""
    span = landmarks.max(axis=0) - landmarks.min(axis=0)
    return float(span.max())
