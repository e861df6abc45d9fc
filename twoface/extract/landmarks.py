"""68-point landmarks with dlib's shape predictor, at sub-pixel precision.

dlib returns integer pixel positions. For a 140 px face that quantisation alone makes aligned
crops shimmer, so the predictor runs on the face region resampled to about ``WORK_SIDE`` px
(its cost does not depend on image size) and the points are mapped back: steps of
``box_side / WORK_SIDE`` px instead of 1 px.
"""

from __future__ import annotations

import cv2
import dlib
import numpy as np

from twoface.extract.dlib_models import shape_predictor
from twoface.geometry import transform_points
from twoface.types import Box

WORK_SIDE = 320  # face box side, in px, at which the predictor runs
PAD = 0.25  # fraction of the box side kept around the box in the resampled region

# iBUG 68 index of each point's mirror image (left <-> right), for flips and symmetry.
MIRROR_68 = np.array(
    list(range(16, -1, -1))  # jaw
    + list(range(26, 16, -1))  # brows
    + [27, 28, 29, 30, 35, 34, 33, 32, 31]  # nose
    + [45, 44, 43, 42, 47, 46, 39, 38, 37, 36, 41, 40]  # eyes
    + [54, 53, 52, 51, 50, 49, 48, 59, 58, 57, 56, 55]  # outer mouth
    + [64, 63, 62, 61, 60, 67, 66, 65]  # inner mouth
)


def landmarks68(image: np.ndarray, box: Box) -> np.ndarray:
    """Locate the 68 iBUG landmarks of the face in ``box`` of an RGB uint8 ``image``.

    Returns ``(68, 2)`` float64 ``x, y`` in ``image`` pixels.
    """
    side = max(box[2] - box[0], box[3] - box[1])
    scale = max(1.0, WORK_SIDE / side)
    region = side * (1 + 2 * PAD) * scale
    size = int(np.ceil(region))
    # work_from_frame: scale about the box, box centred in a ``size`` px square
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    work_from_frame = np.array([[scale, 0, size / 2 - scale * cx], [0, scale, size / 2 - scale * cy]])
    work = cv2.warpAffine(
        image, work_from_frame, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    work_box = transform_points(work_from_frame, np.array([box[:2], box[2:]]))
    rect = dlib.rectangle(*(round(v) for v in (*work_box[0], *(work_box[1] - 1))))
    shape = shape_predictor()(work, rect)
    points = np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float64)
    frame_from_work = np.array([[1 / scale, 0, cx - size / 2 / scale], [0, 1 / scale, cy - size / 2 / scale]])
    return transform_points(frame_from_work, points)


def box_from_landmarks(landmarks: np.ndarray) -> Box:
    """Tight bounding box of a set of points."""
    x0, y0 = landmarks.min(axis=0)
    x1, y1 = landmarks.max(axis=0)
    return (float(x0), float(y0), float(x1), float(y1))


def mirror_landmarks(landmarks: np.ndarray, width: float) -> np.ndarray:
    """Landmarks of the horizontally flipped image of ``width`` px, relabelled left <-> right."""
    flipped = landmarks.copy()
    flipped[:, 0] = width - flipped[:, 0]
    return flipped[MIRROR_68]


def yaw_degrees(landmarks: np.ndarray) -> float:
    """Rough head yaw from the 2-D landmarks: the nose tip's offset from the midpoint of the
    outer eye corners relative to the eye span, as an angle. Positive: turned to image right."""
    left, right, nose = landmarks[36], landmarks[45], landmarks[30]
    span = np.linalg.norm(right - left)
    if span == 0:
        return 0.0
    axis = (right - left) / span
    offset = float(np.dot(nose - (left + right) / 2, axis)) / (span / 2)
    return float(np.degrees(np.arcsin(np.clip(offset, -1.0, 1.0))))
