"""Frozen settings for each stage; the CLI builds one and makes one library call with it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ExtractConfig:
    """Settings of ``twoface extract``.

    ``detect_side_video``/``detect_side_image``: frames are shrunk to at most this many px on
    the longer side for detection only (landmarks and crops use full resolution).
    ``smoothing``: One Euro ``(min_cutoff Hz, beta)`` for video landmarks, None for raw.
    ``embed_every``: frames between identity refreshes of a tracked face.
    """

    detector: str = "hog"
    upsample: int = 0
    min_size: float = 0.0
    every: int = 1
    detect_every: int = 5
    detect_side_video: int = 640
    detect_side_image: int = 1600
    smoothing: tuple[float, float] | None = (1.0, 4.0)
    embed_every: int = 50
    keep: tuple[str, ...] = ()
    drop: tuple[str, ...] = ()
    threshold: float = 0.6
    crop_size: int = 256
    progress: bool = True
