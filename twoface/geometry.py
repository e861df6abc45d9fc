"""Pure geometry on points and 2x3 affine matrices (numpy only, no state).

Matrices are named by direction: ``b_from_a`` maps points of space ``a`` to space ``b`` as
``b = M[:, :2] @ a + M[:, 2]``. Points are ``(N, 2)`` float ``x, y``.
"""

from __future__ import annotations

import numpy as np


def umeyama(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Least-squares similarity (rotation, uniform scale, translation) mapping ``src`` onto
    ``dst`` (Umeyama 1991). Returns the 2x3 matrix ``dst_from_src``; no reflection."""
    src = np.asarray(src, dtype=np.float64)
    dst = np.asarray(dst, dtype=np.float64)
    src_mean, dst_mean = src.mean(axis=0), dst.mean(axis=0)
    src_c, dst_c = src - src_mean, dst - dst_mean
    cov = dst_c.T @ src_c / len(src)
    u, s, vt = np.linalg.svd(cov)
    d = np.ones(2)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        d[1] = -1.0
    rotation = u @ np.diag(d) @ vt
    var_src = (src_c**2).sum() / len(src)
    scale = (s * d).sum() / var_src if var_src > 0 else 1.0
    matrix = np.empty((2, 3))
    matrix[:, :2] = scale * rotation
    matrix[:, 2] = dst_mean - matrix[:, :2] @ src_mean
    return matrix


def transform_points(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Apply a 2x3 affine ``matrix`` to ``(N, 2)`` points."""
    points = np.asarray(points, dtype=np.float64)
    return points @ matrix[:, :2].T + matrix[:, 2]


def invert_affine(matrix: np.ndarray) -> np.ndarray:
    """Inverse of a 2x3 affine matrix: turns ``b_from_a`` into ``a_from_b``."""
    linear_inv = np.linalg.inv(matrix[:, :2])
    out = np.empty((2, 3))
    out[:, :2] = linear_inv
    out[:, 2] = -linear_inv @ matrix[:, 2]
    return out


def compose_affine(c_from_b: np.ndarray, b_from_a: np.ndarray) -> np.ndarray:
    """Matrix product of two 2x3 affines: the result maps ``a`` to ``c``."""
    out = np.empty((2, 3))
    out[:, :2] = c_from_b[:, :2] @ b_from_a[:, :2]
    out[:, 2] = c_from_b[:, :2] @ b_from_a[:, 2] + c_from_b[:, 2]
    return out


def scale_of(matrix: np.ndarray) -> float:
    """The uniform scale of a similarity matrix (sqrt of the determinant's magnitude)."""
    return float(np.sqrt(abs(np.linalg.det(matrix[:, :2]))))


def unit_to_crop(size: int, margin: float) -> np.ndarray:
    """2x3 matrix mapping the mean face's unit square to the ``[margin*size, (1-margin)*size]``
    square of a ``size`` px crop."""
    side = size * (1.0 - 2.0 * margin)
    return np.array([[side, 0.0, size * margin], [0.0, side, size * margin]])


def subcrop_matrix(src_size: int, src_margin: float, dst_size: int, dst_margin: float) -> np.ndarray:
    """2x3 matrix ``dst_from_src`` between two crops of the same alignment framed differently
    (see :class:`twoface.types.CropSpec`); a centred scale."""
    src_from_unit = unit_to_crop(src_size, src_margin)
    dst_from_unit = unit_to_crop(dst_size, dst_margin)
    return compose_affine(dst_from_unit, invert_affine(src_from_unit))


def box_iou(a: tuple, b: tuple) -> float:
    """Intersection over union of two ``(x0, y0, x1, y1)`` boxes."""
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0
