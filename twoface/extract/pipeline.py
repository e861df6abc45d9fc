"""Extract: media files in, a FaceSet out.

For each input: decode (PyAV/Pillow, on a background thread), detect on a downscaled copy,
track and smooth landmarks through videos, embed each track now and then, keep or drop by
identity, align, cut the 256 px crop and hand it to the writer thread.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from twoface.config import DetectConfig, ExtractConfig
from twoface.errors import TwofaceError
from twoface.extract.align import STORE_SPEC, align, blur_score, native_size, warp_crop
from twoface.extract.detect import Detector, make_detector
from twoface.extract.faceset import FaceRecord, FaceSet, FaceWriter, source_tag
from twoface.extract.identity import embed, keep_face, load_references
from twoface.extract.landmarks import yaw_degrees
from twoface.extract.track import TrackedFace, Tracker
from twoface.media.prefetch import prefetch
from twoface.media.read import expand_inputs, iter_frames, media_kind, video_info
from twoface.types import CropSpec, Detection, Frame

Report = Callable[[str], None]


@dataclass
class ExtractSummary:
    """Counts for the end-of-run summary (mutable while the run goes on)."""

    frames_read: int = 0
    faces_kept: int = 0
    faces_filtered: int = 0
    frames_without_face: int = 0
    sources_read: int = 0
    sources_skipped: int = 0
    problems: list[str] = field(default_factory=list)
    interrupted: bool = False

    def line(self) -> str:
        return (
            f"{self.frames_read} frames read, {self.faces_kept} faces kept, "
            f"{self.faces_filtered} filtered out by identity, "
            f"{self.frames_without_face} frames without a face"
            + (f", {self.sources_skipped} inputs already done" if self.sources_skipped else "")
            + (f", {len(self.problems)} inputs with problems" if self.problems else "")
        )


@dataclass(frozen=True)
class _Context:
    cfg: ExtractConfig
    spec: CropSpec
    keep: np.ndarray | None
    drop: np.ndarray | None
    report: Report


def scaled_detector(detect: Detector, max_side: int, min_size: float) -> Detector:
    """Run ``detect`` on a copy shrunk to at most ``max_side`` px; boxes come back in full-size
    pixels, those smaller than ``min_size`` px dropped."""

    def run(image: np.ndarray) -> list[Detection]:
        h, w = image.shape[:2]
        scale = min(1.0, max_side / max(h, w))
        small = (
            image
            if scale == 1.0
            else cv2.resize(image, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
        )
        found = [Detection(tuple(v / scale for v in d.box), d.score) for d in detect(small)]
        return [d for d in found if min(d.box[2] - d.box[0], d.box[3] - d.box[1]) >= min_size]

    return run


def extract(
    inputs: list[str | Path], out: str | Path, cfg: ExtractConfig, report: Report = print
) -> ExtractSummary:
    """Extract every face of ``inputs`` (files or folders) into the FaceSet at ``out``.

    Problems with single inputs are reported and skipped; Ctrl-C stops cleanly with every face
    saved so far kept (``summary.interrupted``). Raises TwofaceError only for problems that stop
    the whole run (bad reference photo, unusable output folder, disk full).
    """
    summary = ExtractSummary()
    files, errors = expand_inputs(inputs)
    for err in errors:
        _problem(summary, report, str(err))
    base = make_detector(cfg.detect.detector, cfg.detect.upsample)
    keep = load_references([Path(p) for p in cfg.keep], base) if cfg.keep else None
    drop = load_references([Path(p) for p in cfg.drop], base) if cfg.drop else None
    faceset = FaceSet.create(out, CropSpec(cfg.crop_size, STORE_SPEC.margin))
    ctx = _Context(cfg, faceset.crop_spec, keep, drop, report)
    done = {r.key for r in faceset.records()}
    if note := faceset.damaged_note():
        report(note)
    writer = FaceWriter(faceset)
    try:
        for path in files:
            _extract_source(path, faceset, writer, done, base, ctx, summary)
    except KeyboardInterrupt:
        summary.interrupted = True
    finally:
        writer.close()
        faceset.save_meta()
    return summary


def _problem(summary: ExtractSummary, report: Report, line: str) -> None:
    summary.problems.append(line)
    report(line)


def _fingerprint(path: Path) -> dict:
    stat = path.stat()
    return {"size": stat.st_size, "mtime": stat.st_mtime}


def _extract_source(path, faceset, writer, done, base, ctx, summary) -> None:
    source = str(path.resolve()) if path.exists() else str(path)
    progress = faceset.meta["sources"].get(source, {})
    if progress.get("complete") and path.exists() and progress.get("file") == _fingerprint(path):
        summary.sources_skipped += 1
        return
    try:
        found = _run_source(path, source, writer, done, base, ctx, summary)
    except TwofaceError as exc:
        _problem(summary, ctx.report, str(exc))
        return
    summary.sources_read += 1
    faceset.meta["sources"][source] = {"complete": True, "file": _fingerprint(path), "faces": found}
    if found == 0 and not any(key[0] == source for key in done):
        ctx.report(f"{path}: no face found")


def make_tracker(base: Detector, cfg: DetectConfig, is_video: bool) -> Tracker:
    """A tracker for one source with detector ``base``: video frames are detected every
    ``detect_every`` frames on a copy shrunk to ``detect_size`` and their landmarks smoothed;
    a photo is detected on its own, on a copy of at most ``image_detect_size``, unsmoothed."""
    size = cfg.detect_size if is_video else cfg.image_detect_size
    return Tracker(
        scaled_detector(base, size, cfg.min_size),
        detect_every=cfg.detect_every if is_video else 1,
        smoothing=cfg.smoothing if is_video else None,
    )


def _run_source(path: Path, source: str, writer, done, base, ctx: _Context, summary) -> int:
    is_video = media_kind(path) == "video"
    tracker = make_tracker(base, ctx.cfg.detect, is_video)
    embeddings: dict[int, tuple[int, np.ndarray]] = {}
    tag = source_tag(source)
    found = 0
    total = _frame_total(path, ctx.cfg.every) if is_video else 1
    bar = tqdm(total=total, desc=path.name[:30], unit="frame", disable=not ctx.cfg.progress, leave=False)
    with bar:
        for frame in prefetch(iter_frames(path, every=ctx.cfg.every, warn=ctx.report)):
            bar.update(1)
            summary.frames_read += 1
            if not is_video:
                _note_size(path, frame, ctx.cfg.detect.image_detect_size, ctx.report)
            if (source, frame.index) in done:
                continue
            faces = tracker.update(frame)
            if not faces:
                summary.frames_without_face += 1
            for n, face in enumerate(faces):
                found += _save_face(frame, face, n, source, tag, embeddings, writer, ctx, summary)
            bar.set_postfix(faces=summary.faces_kept, refresh=False)
    return found


def _frame_total(path: Path, every: int) -> int | None:
    try:
        frames = video_info(path).frames
    except TwofaceError:
        return None
    return -(-frames // every) if frames else None


def _note_size(path: Path, frame: Frame, side: int, report: Report) -> None:
    h, w = frame.image.shape[:2]
    if max(h, w) > 2 * side:
        report(
            f"{path}: large image ({w}x{h}); faces are searched on a {side} px copy, crops cut at full size"
        )


def _embedding_for(frame: Frame, face: TrackedFace, embeddings: dict, every: int) -> np.ndarray:
    last = embeddings.get(face.track_id)
    if last is None or frame.index - last[0] >= every:
        last = (frame.index, embed(frame.image, face.raw_landmarks))
        embeddings[face.track_id] = last
    return last[1]


def _save_face(
    frame, face: TrackedFace, n: int, source, tag, embeddings, writer, ctx: _Context, summary
) -> int:
    embedding = _embedding_for(frame, face, embeddings, ctx.cfg.detect.embed_every)
    if not keep_face(embedding, ctx.keep, ctx.drop, ctx.cfg.threshold):
        summary.faces_filtered += 1
        return 0
    size = native_size(face.landmarks, ctx.spec.margin, ctx.spec.size)
    alignment = align(face.landmarks, CropSpec(size, ctx.spec.margin))
    crop = warp_crop(frame.image, alignment.crop_from_frame, size)
    record = FaceRecord(
        file=f"{tag}_{frame.index:06d}_{n}.png",
        source=source,
        frame_index=frame.index,
        pts=round(frame.pts_seconds, 6),
        box=tuple(round(v, 2) for v in face.detection.box),
        score=round(face.detection.score, 4),
        landmarks=tuple(tuple(round(v, 3) for v in p) for p in face.landmarks),
        crop_from_frame=tuple(tuple(round(v, 8) for v in row) for row in alignment.crop_from_frame),
        embedding=tuple(round(float(v), 6) for v in embedding),
        blur=round(blur_score(crop), 3),
        crop_size=size,
        extra={
            "track": face.track_id,
            "detected": face.detected,
            "yaw": round(yaw_degrees(face.landmarks), 2),
        },
    )
    writer.put(record, crop)
    summary.faces_kept += 1
    return 1
