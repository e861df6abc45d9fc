"""Records that flow between the pipeline stages, and the conventions they follow.

Conventions (the same everywhere in twoface):

* Images are ``numpy.uint8`` arrays of shape ``(H, W, 3)`` in **RGB** order. BGR exists only
  inside the OpenCV call that needs it.
* Points are ``(N, 2)`` float arrays of ``x, y`` in pixels of the image they belong to.
  Boxes are ``(x0, y0, x1, y1)`` floats in pixels, ``x1``/``y1`` exclusive.
* A 2x3 affine matrix is named by its direction: ``crop_from_frame`` maps frame pixels to crop
  pixels (``crop_xy = M @ [x, y, 1]``); its inverse is ``frame_from_crop``.
* Landmarks follow the 68-point iBUG layout: jaw 0-16, brows 17-26, nose 27-35, eyes 36-47,
  mouth 48-67.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

Box = tuple[float, float, float, float]


@dataclass(frozen=True, eq=False)
class Frame:
    """One decoded picture: ``index`` is 0-based in its source, ``pts_seconds`` its timestamp
    (0.0 for a still), ``image`` an RGB uint8 ``(H, W, 3)`` C-contiguous array."""

    index: int
    pts_seconds: float
    image: np.ndarray


@dataclass(frozen=True)
class Detection:
    """A face box ``(x0, y0, x1, y1)`` in frame pixels and the detector's confidence score
    (HOG: SVM margin, around 0..3; CNN: MMOD confidence)."""

    box: Box
    score: float


@dataclass(frozen=True)
class CropSpec:
    """How an aligned crop is framed.

    The mean face's unit square (see :mod:`twoface.extract.align`) is mapped to the square
    ``[margin * size, (1 - margin) * size]`` of a ``size`` x ``size`` crop. A larger ``margin``
    shows more around the face. Two specs with the same alignment differ only by a centred
    scale, so one crop can be cut from another (:func:`twoface.geometry.subcrop_matrix`).
    """

    size: int
    margin: float

    def to_json(self) -> dict:
        return {"size": self.size, "margin": self.margin}

    @staticmethod
    def from_json(data: dict) -> CropSpec:
        return CropSpec(size=int(data["size"]), margin=float(data["margin"]))


@dataclass(frozen=True, eq=False)
class Alignment:
    """68 landmarks ``(68, 2)`` in frame pixels and the 2x3 ``crop_from_frame`` matrix that
    maps them into a crop framed by ``crop_spec``."""

    landmarks: np.ndarray
    crop_from_frame: np.ndarray
    crop_spec: CropSpec
