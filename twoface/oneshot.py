"""One-shot swap: one photo of B, no training. The classic landmark method.

The 68 landmarks of B's photo are triangulated once (Delaunay). For each target face the same
triangles, placed on the target's landmarks, define a piecewise-affine map; one ``cv2.remap``
pulls B's face into the target's pose. Colour is matched inside the face, and the result is
blended into the target's face hull. On video the target's own eyes and inner mouth are left
(blinks, gaze and speech read as the target's) and the tracker's smoothed landmarks keep it
steady; on stills the photo's eyes come too (``KEEP``), which moves the result much nearer the
photo's person (``bench/oneshot.py``), and only the target's inner mouth is left.

Images are RGB uint8 ``(H, W, 3)``; landmarks ``(68, 2)`` float ``x, y`` in pixels.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from twoface.config import OneShotConfig
from twoface.convert.blend import seamless_region
from twoface.convert.colour import COLOURS
from twoface.convert.pipeline import ConvertSummary, swap_media
from twoface.errors import TwofaceError
from twoface.extract.detect import make_detector
from twoface.extract.landmarks import landmarks68
from twoface.landmark_parts import LANDMARKS_68
from twoface.masks import MASKS, erode, face_size, feather
from twoface.media.provenance import provenance
from twoface.media.read import read_image

EYES = (LANDMARKS_68["right_eye"], LANDMARKS_68["left_eye"])
INNER_MOUTH = LANDMARKS_68["inner_mouth"]
# the target's own parts left in place, per kind of input
KEEP = {"video": (*EYES, INNER_MOUTH), "still": (INNER_MOUTH,), "none": ()}


@dataclass(frozen=True, eq=False)
class SourceFace:
    """B's photo, its face's landmarks and the Delaunay triangles ``(T, 3)`` over them."""

    image: np.ndarray
    landmarks: np.ndarray
    triangles: np.ndarray


def triangulate(points: np.ndarray) -> np.ndarray:
    """Delaunay triangles over ``points`` ``(N, 2)`` as ``(T, 3)`` indices into them."""
    lo = points.min(axis=0) - 10
    hi = points.max(axis=0) + 10
    subdiv = cv2.Subdiv2D((int(lo[0]), int(lo[1]), int(hi[0] - lo[0]) + 1, int(hi[1] - lo[1]) + 1))
    for x, y in points:
        subdiv.insert((float(x), float(y)))
    triangles = []
    for t in subdiv.getTriangleList().reshape(-1, 3, 2):
        gaps = np.linalg.norm(points[None, :, :] - t[:, None, :], axis=2)  # (3, N)
        nearest = gaps.argmin(axis=1)
        if gaps[np.arange(3), nearest].max() < 0.5 and len(set(nearest)) == 3:
            triangles.append(nearest)
    return np.array(triangles, np.int32)


def load_source_face(path: str | Path, detect, report=print) -> SourceFace:
    """B's face from a photo: the largest face found (said so when there are several)."""
    image = read_image(path)
    found = detect(image)
    if not found:
        raise TwofaceError(path, "no face found in this photo")
    det = max(found, key=lambda d: (d.box[2] - d.box[0]) * (d.box[3] - d.box[1]))
    if len(found) > 1:
        report(f"{path}: {len(found)} faces found; using the largest")
    landmarks = landmarks68(image, det.box)
    return SourceFace(image, landmarks, triangulate(landmarks))


def _triangle_maps(src: np.ndarray, dst: np.ndarray, triangles: np.ndarray) -> np.ndarray:
    """``(T, 2, 3)`` affine matrices mapping each destination triangle onto its source one."""
    maps = np.empty((len(triangles), 2, 3), np.float64)
    for i, tri in enumerate(triangles):
        maps[i] = cv2.getAffineTransform(dst[tri].astype(np.float32), src[tri].astype(np.float32))
    return maps


def warp_source(
    source: SourceFace, target: np.ndarray, shape: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """B's face moved onto ``target`` landmarks (pixels of an image of ``shape``): the warped
    RGB uint8 image and a float32 mask of the pixels the triangles cover."""
    owner = np.full(shape, -1, np.int32)
    for i, tri in enumerate(source.triangles):
        cv2.fillConvexPoly(owner, np.round(target[tri]).astype(np.int32), i)
    ys, xs = np.nonzero(owner >= 0)
    map_x = np.zeros(shape, np.float32)
    map_y = np.zeros(shape, np.float32)
    if len(xs):
        m = _triangle_maps(source.landmarks, target, source.triangles)[owner[ys, xs]]
        map_x[ys, xs] = m[:, 0, 0] * xs + m[:, 0, 1] * ys + m[:, 0, 2]
        map_y[ys, xs] = m[:, 1, 0] * xs + m[:, 1, 1] * ys + m[:, 1, 2]
    warped = cv2.remap(source.image, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return warped, (owner >= 0).astype(np.float32)


def blend_mask(landmarks: np.ndarray, shape: tuple[int, int], keep=KEEP["video"]) -> np.ndarray:
    """Face outline (``components``) without the target's parts ``keep`` (landmark slices;
    default the eyes and the inner mouth), float32 in [0, 1]."""
    mask = MASKS["components"](landmarks, shape)
    for part in keep:
        hull = cv2.convexHull(np.round(landmarks[part]).astype(np.int32))
        cv2.fillConvexPoly(mask, hull, 0.0, lineType=cv2.LINE_AA)
    return mask


class OneShotSwapper:
    """Puts ``source``'s face on every face of a frame; same call as the model swapper.
    ``keep``: which of the target's own parts stay (a key of :data:`KEEP`)."""

    def __init__(
        self, source: SourceFace, colour: str = "reinhard", seamless: bool = False, keep: str = "video"
    ) -> None:
        if colour not in COLOURS:
            raise ValueError(f"unknown colour method {colour!r}; choose from {', '.join(COLOURS)}")
        if keep not in KEEP:
            raise ValueError(f"unknown keep {keep!r}; choose from {', '.join(KEEP)}")
        self.source, self.colour, self.seamless, self.keep = source, colour, seamless, KEEP[keep]

    def __call__(self, image: np.ndarray, landmarks: list[np.ndarray]) -> np.ndarray:
        out = image.copy()
        for lm in landmarks:
            self._one(out, lm)
        return out

    def _one(self, out: np.ndarray, landmarks: np.ndarray) -> None:
        size = face_size(landmarks)
        pad = round(0.2 * size)
        x0, y0 = np.maximum(np.floor(landmarks.min(axis=0)).astype(int) - pad, 0)
        x1, y1 = np.minimum(np.ceil(landmarks.max(axis=0)).astype(int) + pad, out.shape[1::-1])
        if x1 - x0 < 8 or y1 - y0 < 8:
            return
        local = landmarks - (x0, y0)
        region = out[y0:y1, x0:x1]
        warped, covered = warp_source(self.source, local, region.shape[:2])
        mask = np.minimum(blend_mask(local, region.shape[:2], self.keep), erode(covered, 1))
        target = region.astype(np.float32) / 255
        new = COLOURS[self.colour](warped.astype(np.float32) / 255, target, mask) * 255
        if self.seamless:
            new = seamless_region(out, new.astype(np.uint8), mask, (x0, y0)).astype(np.float32)
        alpha = feather(erode(mask, max(1, round(0.01 * size))), max(1, round(0.05 * size)))[..., None]
        region[:] = np.round(new * alpha + region * (1 - alpha)).astype(np.uint8)


def swap_one_shot(
    face: str | Path, inputs: list[str | Path], output: str | Path, cfg: OneShotConfig, report=print
) -> ConvertSummary:
    """Put the face of the photo ``face`` on the faces of ``inputs`` (images or videos), written
    as convert writes (timing, audio, provenance)."""
    source = load_source_face(face, make_detector(cfg.detect.detector, cfg.detect.upsample), report)
    try:
        swapper = OneShotSwapper(source, cfg.blend.colour, cfg.blend.seamless, keep="video")
        still = OneShotSwapper(source, cfg.blend.colour, cfg.blend.seamless, keep="still")
    except ValueError as exc:
        raise TwofaceError(face, str(exc)) from None
    record = provenance("one-shot landmark warp", source=None)
    record["face_photo"] = Path(face).name
    return swap_media(inputs, output, swapper, record, cfg, report, still_swapper=still)
