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

from twoface.geometry import compose_affine, scale_of, umeyama, unit_to_crop
from twoface.landmark_parts import indices
from twoface.types import Alignment, CropSpec

ALIGN_POINTS = np.array(indices("brows", "nose", "right_eye", "left_eye", "mouth_right", "mouth_left"))

# The FaceSet stores crops with a margin that keeps the whole head, so any model crop (smaller
# margin, any size) is a centred sub-crop of it. Each crop is stored at the face's own
# resolution (one crop pixel per frame pixel), at most STORE_SPEC.size and at least MIN_STORE:
# a 512 px cap keeps the detail of faces up to about 250 px across, as faceswap and
# DeepFaceLab's 512 px stores do. Face sets made before this kept every crop at 256 px.
STORE_SPEC = CropSpec(size=512, margin=0.25)
MIN_STORE = 64
LEGACY_STORE_SIZE = 256


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


def native_size(landmarks: np.ndarray, margin: float, cap: int = STORE_SPEC.size) -> int:
    """The crop side (px, a multiple of 8 in ``[MIN_STORE, cap]``) at which a crop framed with
    ``margin`` has one crop pixel per frame pixel: the face's own resolution."""
    unit_px = 1.0 / scale_of(unit_from_frame(landmarks))  # frame px across the unit square
    size = int(np.ceil(unit_px / (1.0 - 2.0 * margin) / 8.0)) * 8
    return int(min(max(size, MIN_STORE), cap))


def antialias_sigma(scale: float) -> float:
    """Gaussian prefilter (px of the source) for resampling by ``scale`` (output px per source
    px): ``(1/scale - 1) / 2`` when shrinking (scikit-image's choice), 0 otherwise."""
    return max(0.0, (1.0 / scale - 1.0) / 2.0) if scale > 0 else 0.0


def warp_crop(
    image: np.ndarray, crop_from_frame: np.ndarray, size: int, sigma: float | None = None
) -> np.ndarray:
    """Cut the ``size`` x ``size`` aligned crop out of an RGB (or single-channel) ``image`` in
    one antialiased resample: where the crop shrinks the image, the part of the image it covers
    is first blurred by :func:`antialias_sigma` (or ``sigma`` px, if given), then one bicubic
    warp. Edges are replicated. ``crop_from_frame`` maps image pixels to crop pixels."""
    sigma = antialias_sigma(scale_of(crop_from_frame)) if sigma is None else sigma
    matrix = np.asarray(crop_from_frame, np.float64)
    if sigma > 0.25:
        image, matrix = _blurred_region(image, matrix, size, sigma)
    return cv2.warpAffine(image, matrix, (size, size), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)


def _blurred_region(image: np.ndarray, crop_from_frame: np.ndarray, size: int, sigma: float):
    """The blurred part of ``image`` that a crop covers (padded by 3 sigma), and the crop matrix
    shifted to it. Blurring only the region keeps the cost per face, not per frame."""
    from twoface.geometry import invert_affine, transform_points

    corners = np.array([[0, 0], [size, 0], [0, size], [size, size]], np.float64)
    points = transform_points(invert_affine(crop_from_frame), corners)
    pad = int(np.ceil(3 * sigma)) + 2
    h, w = image.shape[:2]
    x0, y0 = np.maximum(np.floor(points.min(axis=0)).astype(int) - pad, 0)
    x1, y1 = np.minimum(np.ceil(points.max(axis=0)).astype(int) + pad, (w, h))
    if x1 - x0 < 2 or y1 - y0 < 2:
        return image, crop_from_frame
    region = cv2.GaussianBlur(image[y0:y1, x0:x1], (0, 0), sigma, borderType=cv2.BORDER_REPLICATE)
    shifted = crop_from_frame.copy()
    shifted[:, 2] += shifted[:, :2] @ np.array([x0, y0], np.float64)
    return region, shifted


BLUR_SIZE = 256  # blur scores are taken at this crop size, so crops of any size compare


def blur_score(crop: np.ndarray) -> float:
    """Sharpness of an aligned crop: variance of the Laplacian over its central half (the
    face), on grey values, with the crop first resized to ``BLUR_SIZE`` (area or bicubic) so
    that stored crops of different sizes compare. Higher is sharper."""
    if crop.shape[0] != BLUR_SIZE:
        shrink = crop.shape[0] > BLUR_SIZE
        crop = cv2.resize(
            crop, (BLUR_SIZE, BLUR_SIZE), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_CUBIC
        )
    size = crop.shape[0]
    centre = crop[size // 4 : 3 * size // 4, size // 4 : 3 * size // 4]
    grey = cv2.cvtColor(centre, cv2.COLOR_RGB2GRAY)
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())
