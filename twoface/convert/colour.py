"""Colour matching of a swapped face to the face it replaces.

Every method is ``(face, target, mask) -> face``: ``face`` and ``target`` float32 RGB
``(S, S, 3)`` in [0, 1] (the model's output and the original crop, same framing), ``mask``
float32 ``(S, S)`` in [0, 1] saying where the statistics are taken. The result is float32 RGB in
[0, 1]. ``COLOURS`` is the registry the ``--colour`` option chooses from.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

ColourFn = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]


def _stats(image: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    weight = mask[..., None].astype(np.float64)
    total = weight.sum() + 1e-9
    mean = (image * weight).sum(axis=(0, 1)) / total
    std = np.sqrt((((image - mean) ** 2) * weight).sum(axis=(0, 1)) / total)
    return mean, std


def none(face: np.ndarray, target: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Leave the colours as the model made them."""
    return face


def avg(face: np.ndarray, target: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Shift each RGB channel so the masked means match."""
    shift = _stats(target, mask)[0] - _stats(face, mask)[0]
    return np.clip(face + shift.astype(np.float32), 0, 1)


def reinhard(face: np.ndarray, target: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Reinhard et al. (2001) in CIE Lab: match masked mean and standard deviation per channel."""
    lab_f = cv2.cvtColor(face.astype(np.float32), cv2.COLOR_RGB2Lab)
    lab_t = cv2.cvtColor(target.astype(np.float32), cv2.COLOR_RGB2Lab)
    mean_f, std_f = _stats(lab_f, mask)
    mean_t, std_t = _stats(lab_t, mask)
    scale = np.clip(std_t / np.maximum(std_f, 1e-3), 0.5, 2.0)  # no blow-up on flat faces
    matched = ((lab_f - mean_f) * scale + mean_t).astype(np.float32)
    return np.clip(cv2.cvtColor(matched, cv2.COLOR_Lab2RGB), 0, 1)


def hist(face: np.ndarray, target: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Per-channel histogram matching (256 levels) of the masked pixels."""
    inside = mask > 0.5
    if inside.sum() < 16:
        return face
    out = np.empty_like(face)
    levels = np.linspace(0, 1, 256)
    for c in range(3):
        src = np.sort(face[..., c][inside])
        ref = np.sort(target[..., c][inside])
        quantiles = np.searchsorted(src, levels, side="right") / len(src)
        lut = np.interp(quantiles, np.linspace(0, 1, len(ref)), ref)
        out[..., c] = np.interp(face[..., c], levels, lut)
    return out.astype(np.float32)


COLOURS: dict[str, ColourFn] = {"avg": avg, "reinhard": reinhard, "hist": hist, "none": none}
