"""The invisible watermark every swapped image and video frame carries: part of the label, so
``twoface inspect`` finds it after the metadata is stripped or the file re-encoded.

Scheme (spread spectrum in luma, at low spatial frequency): a fixed, public ``GRID x GRID``
pattern of +-1 cells (seeded by :data:`SEED`) is smoothly upsampled to the frame's size and
added to R, G and B alike with amplitude :data:`STRENGTH` (grey levels, so hue is untouched).
Because the pattern is defined over the whole frame in relative coordinates and lives at the
scale of whole cells, it survives JPEG, resizing and video codecs. It does not survive cropping
or heavy local edits, and it is public: it labels, it does not protect (anyone can find it, and
anyone who wants to can scrub it; the C2PA manifest says who made the file).

Detection: the frame's luma is averaged into the same cells, high-passed (each cell less the
mean of its neighbours, which removes most of the picture; clipped, so that edges do not
outweigh the flat regions where the mark is plain), and correlated with the pattern, high-passed
the same way. The result ``z`` is about normal(0, 1) on unmarked pictures and
grows with the mark; videos average the per-frame correlations of up to :data:`VIDEO_FRAMES`
frames spread over the file. :data:`THRESHOLD` is set well above every unmarked sample
measured (``bench/watermark.py``).

Images are RGB uint8 ``(H, W, 3)``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

SEED = 0x7F0ACE  # the public pattern's seed: "twoface"
GRID = 64  # pattern cells across each side of the frame
STRENGTH = 2.5  # grey levels added or taken per cell (peak)
CLIP = 1.5  # cell residuals are clipped to +-CLIP grey levels: edges of the picture stop dominating
CELL = 8  # px per cell when measuring (the frame is area-resized to GRID * CELL)
THRESHOLD = 6.0  # z above which a picture is said to carry the mark
VIDEO_FRAMES = 24  # frames a video's verdict averages


@functools.lru_cache(maxsize=1)
def cells() -> np.ndarray:
    """The +-1 pattern, ``(GRID, GRID)`` float32."""
    rng = np.random.default_rng(SEED)
    return rng.choice(np.array([-1.0, 1.0], dtype=np.float32), size=(GRID, GRID))


@functools.lru_cache(maxsize=8)
def field(height: int, width: int) -> np.ndarray:
    """What :func:`embed` adds at this frame size: ``(H, W, 1)`` float32 grey levels."""
    smooth = cv2.resize(cells(), (width, height), interpolation=cv2.INTER_CUBIC)
    return (STRENGTH * np.clip(smooth, -1.0, 1.0))[..., None].astype(np.float32)


def embed(image: np.ndarray) -> np.ndarray:
    """``image`` with the mark added (a new array)."""
    out = image.astype(np.float32) + field(*image.shape[:2])
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def _highpass(grid: np.ndarray) -> np.ndarray:
    """Each cell less the mean of its 3x3 neighbourhood (edges reflected)."""
    return grid - cv2.blur(grid, (3, 3), borderType=cv2.BORDER_REFLECT)


@functools.lru_cache(maxsize=1)
def _template() -> np.ndarray:
    t = _highpass(cells())
    return (t / np.linalg.norm(t)).astype(np.float32)


def score(image: np.ndarray) -> float:
    """The mark's ``z`` in one RGB uint8 (or grey) picture: about N(0, 1) without the mark."""
    grey = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    small = cv2.resize(grey.astype(np.float32), (GRID * CELL, GRID * CELL), interpolation=cv2.INTER_AREA)
    grid = small.reshape(GRID, CELL, GRID, CELL).mean(axis=(1, 3))
    residual = np.clip(_highpass(grid).ravel(), -CLIP, CLIP)
    norm = np.linalg.norm(residual)
    if norm < 1e-6:
        return 0.0
    return float(residual @ _template().ravel() / norm * np.sqrt(GRID * GRID))


@dataclass(frozen=True)
class Verdict:
    """``z`` (averaged over ``frames`` pictures, scaled back to one picture's N(0, 1)) and
    whether it passes :data:`THRESHOLD`."""

    z: float
    frames: int

    @property
    def found(self) -> bool:
        return self.z > THRESHOLD

    def line(self) -> str:
        where = f"{self.frames} frames" if self.frames > 1 else "the picture"
        if self.found:
            return f"watermark: SYNTHETIC mark found (z {self.z:.1f} over {where}; threshold {THRESHOLD:g})"
        return f"watermark: none found (z {self.z:.1f} over {where})"


def check_file(path: str | Path) -> Verdict:
    """Look for the mark in an image, or in up to VIDEO_FRAMES frames spread over a video."""
    from twoface.media.read import iter_frames, media_kind, video_info

    path = Path(path)
    if media_kind(path) == "image":
        frame = next(iter(iter_frames(path)))
        return Verdict(score(frame.image), 1)
    total = video_info(path).frames or VIDEO_FRAMES
    every = max(1, total // VIDEO_FRAMES)
    scores = [
        score(f.image) for _, f in zip(range(VIDEO_FRAMES), iter_frames(path, every=every), strict=False)
    ]
    # the mean of n correlations with one template: its noise shrinks as far as the frames differ;
    # reported as the mean z (conservative: like frames do not add up as if independent)
    return Verdict(float(np.mean(scores)) if scores else 0.0, len(scores))
