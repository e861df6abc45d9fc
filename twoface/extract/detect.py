"""Face detectors, in one registry.

Every detector takes an RGB uint8 ``(H, W, 3)`` image and returns :class:`Detection` boxes in
that image's pixels, ``(x0, y0, x1, y1)``, in the box convention of dlib's HOG detector (which
the 68-point landmark model was trained on). Adding one: a factory here and a ``DETECTORS``
line; ``tests/test_detect.py`` runs the contract over every entry.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np

from twoface.extract.dlib_models import model_path
from twoface.types import Detection

# Maps an MMOD (CNN) box onto the HOG box of the same face: HOG boxes are about 9% larger and
# sit lower. Medians over 50 faces both detectors found in the sample media
# (tools/calibrate_cnn.py): centre shift and size ratio, as fractions of the CNN box side.
CNN_TO_HOG = {"dx": 0.036, "dy": 0.091, "scale": 1.087}


class Detector(Protocol):
    def __call__(self, image: np.ndarray) -> list[Detection]: ...


def _rect_box(rect) -> tuple[float, float, float, float]:
    return (float(rect.left()), float(rect.top()), float(rect.right() + 1), float(rect.bottom() + 1))


def make_hog(upsample: int = 0) -> Detector:
    """dlib's frontal HOG + linear SVM detector: fast, frontal and near-frontal faces of
    about 80 px and up (40 px with ``upsample=1``)."""
    import dlib

    detector = dlib.get_frontal_face_detector()

    def detect(image: np.ndarray) -> list[Detection]:
        rects, scores, _ = detector.run(np.ascontiguousarray(image), upsample, 0.0)
        return [Detection(_rect_box(r), float(s)) for r, s in zip(rects, scores, strict=True)]

    return detect


def make_cnn(upsample: int = 0) -> Detector:
    """dlib's MMOD CNN detector: slower (seconds per frame on a CPU), more poses and faces
    down to about 50 px; boxes are mapped to the HOG convention."""
    import dlib

    detector = dlib.cnn_face_detection_model_v1(str(model_path("cnn")))

    def detect(image: np.ndarray) -> list[Detection]:
        found = detector(np.ascontiguousarray(image), upsample)
        return [Detection(cnn_box_to_hog(_rect_box(d.rect)), float(d.confidence)) for d in found]

    return detect


def cnn_box_to_hog(box: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """Re-frame an MMOD box the way the HOG detector frames the same face."""
    side = ((box[2] - box[0]) + (box[3] - box[1])) / 2
    cx = (box[0] + box[2]) / 2 + CNN_TO_HOG["dx"] * side
    cy = (box[1] + box[3]) / 2 + CNN_TO_HOG["dy"] * side
    half = side * CNN_TO_HOG["scale"] / 2
    return (cx - half, cy - half, cx + half, cy + half)


DETECTORS: dict[str, Callable[..., Detector]] = {
    "hog": make_hog,
    "cnn": make_cnn,
}


def make_detector(name: str, upsample: int = 0) -> Detector:
    """Build a registered detector by name."""
    if name not in DETECTORS:
        raise ValueError(f"unknown detector {name!r}; choose from {', '.join(DETECTORS)}")
    return DETECTORS[name](upsample=upsample)
