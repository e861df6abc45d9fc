"""Following faces through a video: detect every few frames, landmarks every frame, and a
One Euro filter on the landmarks so aligned crops do not shimmer.

Between detections a face's box is predicted from its previous landmarks, framed the way the
detector framed it when it was last seen (the offset is re-learnt at every detection). At each
detection, tracks are matched to boxes by overlap; a track no detection confirms ends there,
so a lost face never drifts for more than ``detect_every`` frames.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from twoface.extract.landmarks import box_from_landmarks, landmarks68
from twoface.geometry import box_iou
from twoface.types import Box, Detection, Frame

Landmarker = Callable[[np.ndarray, Box], np.ndarray]


class OneEuroFilter:
    """The One Euro filter (Casiez, Roussel & Vogel, CHI 2012) over ``(N, 2)`` points.

    Each point gets its own adaptive cutoff: ``min_cutoff`` Hz when still, rising by ``beta``
    Hz per unit of speed, where speed is in *face sides per second* (the ``scale`` passed to
    each call), so the same settings suit small and large faces.
    """

    def __init__(self, min_cutoff: float = 1.0, beta: float = 4.0, d_cutoff: float = 1.0) -> None:
        self.min_cutoff, self.beta, self.d_cutoff = min_cutoff, beta, d_cutoff
        self._x: np.ndarray | None = None
        self._dx: np.ndarray | None = None
        self._t = 0.0

    @staticmethod
    def _alpha(cutoff: np.ndarray | float, dt: float) -> np.ndarray | float:
        tau = 1.0 / (2 * math.pi * cutoff)
        return 1.0 / (1.0 + tau / dt)

    def __call__(self, x: np.ndarray, t: float, scale: float = 1.0) -> np.ndarray:
        if self._x is None or t <= self._t:
            self._x, self._dx, self._t = x.copy(), np.zeros_like(x), t
            return x.copy()
        dt = t - self._t
        dx = (x - self._x) / dt
        self._dx = self._dx + self._alpha(self.d_cutoff, dt) * (dx - self._dx)
        speed = np.linalg.norm(self._dx, axis=-1, keepdims=True) / max(scale, 1e-6)
        alpha = self._alpha(self.min_cutoff + self.beta * speed, dt)
        self._x = self._x + alpha * (x - self._x)
        self._t = t
        return self._x.copy()


@dataclass(frozen=True, eq=False)
class TrackedFace:
    """One face in one frame: its track, the box its landmarks were found in, the detector
    score when last detected, raw and smoothed ``(68, 2)`` landmarks (frame pixels), and
    whether the box came from a detection in this frame."""

    track_id: int
    detection: Detection
    raw_landmarks: np.ndarray
    landmarks: np.ndarray
    detected: bool


@dataclass(eq=False)
class _Track:
    id: int
    score: float
    box: Box
    smoother: OneEuroFilter
    offset: tuple[float, float, float] = (0.0, 0.0, 1.0)  # det box relative to landmark box
    landmarks: np.ndarray = field(default_factory=lambda: np.zeros((68, 2)))


def _relative(det: Box, ref: Box) -> tuple[float, float, float]:
    side = max(ref[2] - ref[0], ref[3] - ref[1], 1e-6)
    return (
        ((det[0] + det[2]) - (ref[0] + ref[2])) / 2 / side,
        ((det[1] + det[3]) - (ref[1] + ref[3])) / 2 / side,
        (det[2] - det[0]) / side,
    )


def _apply(offset: tuple[float, float, float], ref: Box) -> Box:
    side = max(ref[2] - ref[0], ref[3] - ref[1])
    cx = (ref[0] + ref[2]) / 2 + offset[0] * side
    cy = (ref[1] + ref[3]) / 2 + offset[1] * side
    half = offset[2] * side / 2
    return (cx - half, cy - half, cx + half, cy + half)


def match(tracks: list[Box], detections: list[Box], min_iou: float = 0.3) -> list[tuple[int, int]]:
    """Greedy one-to-one matching of track boxes to detection boxes by overlap, best first.
    Returns ``(track_index, detection_index)`` pairs."""
    pairs = sorted(
        ((box_iou(t, d), i, j) for i, t in enumerate(tracks) for j, d in enumerate(detections)),
        reverse=True,
    )
    used_t: set[int] = set()
    used_d: set[int] = set()
    out = []
    for iou, i, j in pairs:
        if iou < min_iou:
            break
        if i not in used_t and j not in used_d:
            used_t.add(i)
            used_d.add(j)
            out.append((i, j))
    return out


class Tracker:
    """Stateful face tracker for one video; call :meth:`update` with its frames in order."""

    def __init__(
        self,
        detect: Callable[[np.ndarray], list[Detection]],
        detect_every: int = 5,
        smoothing: tuple[float, float] | None = (1.0, 4.0),
        landmarker: Landmarker = landmarks68,
    ) -> None:
        self.detect = detect
        self.detect_every = max(1, detect_every)
        self.smoothing = smoothing
        self.landmarker = landmarker
        self.tracks: list[_Track] = []
        self._next_id = 0
        self._last_detect: int | None = None

    def _smoother(self) -> OneEuroFilter:
        if self.smoothing is None:
            return OneEuroFilter(min_cutoff=1e6, beta=0.0)
        return OneEuroFilter(min_cutoff=self.smoothing[0], beta=self.smoothing[1])

    def _redetect(self, frame: Frame) -> set[int]:
        detections = self.detect(frame.image)
        pairs = match([t.box for t in self.tracks], [d.box for d in detections])
        kept = []
        detected = set()
        for ti, di in pairs:
            track = self.tracks[ti]
            track.box, track.score = detections[di].box, detections[di].score
            kept.append(track)
            detected.add(track.id)
        matched_d = {di for _, di in pairs}
        for j, det in enumerate(detections):
            if j not in matched_d:
                kept.append(_Track(self._next_id, det.score, det.box, self._smoother()))
                detected.add(self._next_id)
                self._next_id += 1
        self.tracks = kept
        self._last_detect = frame.index
        return detected

    def update(self, frame: Frame) -> list[TrackedFace]:
        """Faces in ``frame``: re-detects when due, then landmarks for every live track."""
        due = self._last_detect is None or frame.index - self._last_detect >= self.detect_every
        detected = self._redetect(frame) if due or not self.tracks else set()
        out = []
        for track in self.tracks:
            raw = self.landmarker(frame.image, track.box)
            ref = box_from_landmarks(raw)
            if track.id in detected:
                track.offset = _relative(track.box, ref)
            side = max(ref[2] - ref[0], ref[3] - ref[1])
            smooth = track.smoother(raw, frame.pts_seconds, scale=side)
            out.append(
                TrackedFace(track.id, Detection(track.box, track.score), raw, smooth, track.id in detected)
            )
            track.landmarks = raw
            track.box = _apply(track.offset, ref)
        return out
