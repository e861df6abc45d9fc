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
from twoface.landmark_parts import POINTS
from twoface.types import Box

WORK_SIDE = 320  # face box side, in px, at which the predictor runs
PAD = 0.25  # fraction of the box side kept around the box in the resampled region


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


def yaw_degrees(landmarks: np.ndarray) -> float:
    """Rough head yaw from the 2-D landmarks: the nose tip's offset from the midpoint of the
    outer eye corners relative to the eye span, as an angle. Positive: turned to image right."""
    left, right = landmarks[POINTS["right_eye_outer"]], landmarks[POINTS["left_eye_outer"]]
    nose = landmarks[POINTS["nose_tip"]]
    span = np.linalg.norm(right - left)
    if span == 0:
        return 0.0
    axis = (right - left) / span
    offset = float(np.dot(nose - (left + right) / 2, axis)) / (span / 2)
    return float(np.degrees(np.arcsin(np.clip(offset, -1.0, 1.0))))
