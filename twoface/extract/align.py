"""Alignment to the mean face, and aligned crops.

The mean face (``twoface/data/mean_face_68.json``, made by ``tools/make_mean_face.py``) is a
symmetric 68-point shape in *unit* coordinates: the box of points 17-67 is centred on
(0.5, 0.5) with its longer side 1. A face is aligned by the least-squares similarity
(Umeyama) from its ``ALIGN_POINTS`` to the mean face's; brows, nose, eyes and the mouth
corners, not the jaw or lips, which move with pose and speech.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

import cv2
import numpy as np

from twoface.geometry import compose_affine, umeyama, unit_to_crop
from twoface.types import Alignment, CropSpec

ALIGN_POINTS = np.array([*range(17, 48), 48, 54])

# The FaceSet stores crops at 256 px with a margin that keeps the whole head: any model crop
# (smaller margin, any size) is a centred sub-crop of it.
STORE_SPEC = CropSpec(size=256, margin=0.25)


@cache
def mean_face() -> np.ndarray:
    """The ``(68, 2)`` mean face in unit coordinates (read-only)."""
    text = resources.files("twoface").joinpath("data/mean_face_68.json").read_text()
    points = np.array(json.loads(text)["points"], dtype=np.float64)
    points.setflags(write=False)
    return points


def unit_from_frame(landmarks: np.ndarray) -> np.ndarray:
    """2x3 similarity mapping frame pixels to mean-face unit coordinates."""
    return umeyama(landmarks[ALIGN_POINTS], mean_face()[ALIGN_POINTS])


def align(landmarks: np.ndarray, spec: CropSpec = STORE_SPEC) -> Alignment:
    """The :class:`Alignment` of a face given its ``(68, 2)`` frame landmarks."""
    crop_from_frame = compose_affine(unit_to_crop(spec.size, spec.margin), unit_from_frame(landmarks))
    return Alignment(landmarks=landmarks, crop_from_frame=crop_from_frame, crop_spec=spec)


def warp_crop(image: np.ndarray, crop_from_frame: np.ndarray, size: int) -> np.ndarray:
    """Cut the ``size`` x ``size`` aligned crop out of an RGB ``image`` (edges replicated)."""
    return cv2.warpAffine(
        image, crop_from_frame, (size, size), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE
    )


def blur_score(crop: np.ndarray) -> float:
    """Sharpness of an aligned crop: variance of the Laplacian over its central half (the
    face), on grey values. Higher is sharper; compare only crops of the same size."""
    size = crop.shape[0]
    centre = crop[size // 4 : 3 * size // 4, size // 4 : 3 * size // 4]
    grey = cv2.cvtColor(centre, cv2.COLOR_RGB2GRAY)
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())
