"""Convert: images and videos in, the same media with faces swapped out.

Per input: decode (background thread) -> detect on a downscaled copy and track, with smoothed
landmarks -> optionally keep only faces matching reference photos (embedded once per track every
``embed_every`` frames) -> cut each face as training did -> one model batch per frame -> colour,
mask, paste -> encode (video with the source's timing and audio, or an image) with provenance.
Memory is bounded: frames stream through small queues whatever the video length.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from tqdm import tqdm

from twoface.config import ConvertConfig, MediaConfig
from twoface.convert.blend import AUTO_MASK, BlendConfig, paste
from twoface.convert.swap import SwapModel, cut_face, load_model, run_model, use_backend
from twoface.errors import TwofaceError
from twoface.extract.detect import make_detector
from twoface.extract.identity import embed, keep_face, load_references
from twoface.extract.pipeline import make_tracker
from twoface.extract.track import TrackedFace, Tracker
from twoface.facetypes import FACE_TYPES
from twoface.media.prefetch import prefetch
from twoface.media.provenance import label, provenance
from twoface.media.read import expand_inputs, iter_frames, media_kind, video_info
from twoface.media.watermark import embed as mark
from twoface.media.write import (
    FRAME_PATTERN,
    IMAGE_OUT,
    VIDEO_OUT,
    GifWriter,
    VideoWriter,
    check_output,
    write_image,
)

Report = Callable[[str], None]


@dataclass
class ConvertSummary:
    """Counts for the end-of-run summary (mutable while the run goes on)."""

    outputs: list[str] = field(default_factory=list)
    frames: int = 0
    faces_swapped: int = 0
    faces_skipped: int = 0
    problems: list[str] = field(default_factory=list)
    interrupted: bool = False

    def line(self) -> str:
        where = f" ({', '.join(self.outputs)})" if 0 < len(self.outputs) <= 3 else ""
        return (
            f"{len(self.outputs)} files written{where}, {self.frames} frames, "
            f"{self.faces_swapped} faces swapped"
            + (f", {self.faces_skipped} faces left as they were (--only)" if self.faces_skipped else "")
            + (f", {len(self.problems)} inputs with problems" if self.problems else "")
        )


class FaceSwapper:
    """Swaps the faces of one frame: model batch, then colour, mask and paste per face."""

    def __init__(self, swap: SwapModel, direction: str, blend: BlendConfig) -> None:
        if blend.mask == AUTO_MASK:  # the mask that follows the model's face type
            blend = replace(blend, mask=FACE_TYPES[swap.face_type].mask)
        blend.check(swap.has_mask)
        self.swap, self.direction, self.blend = swap, direction, blend

    def __call__(self, image: np.ndarray, landmarks: list[np.ndarray]) -> np.ndarray:
        """A copy of RGB uint8 ``image`` with each face (``(68, 2)`` frame landmarks) swapped."""
        out = image.copy()
        if not landmarks:
            return out
        cuts = [cut_face(image, lm, self.swap) for lm in landmarks]
        faces, masks = run_model(self.swap, np.stack([c.input for c in cuts]), self.direction)
        for i, (lm, cut) in enumerate(zip(landmarks, cuts, strict=True)):
            learned = masks[i] if masks is not None else None
            paste(out, faces[i], cut.original, cut.crop_from_frame, lm, self.blend, learned)
        return out


Swapper = Callable[[np.ndarray, list[np.ndarray]], np.ndarray]  # (RGB frame, landmarks) -> frame


@dataclass(frozen=True)
class _Job:
    swapper: Swapper
    cfg: MediaConfig
    refs: np.ndarray | None
    record: dict
    report: Report
    still_swapper: Swapper | None = None  # for image inputs, where it differs (one-shot)


def convert(
    inputs: list[str | Path], output: str | Path, cfg: ConvertConfig, report: Report = print
) -> ConvertSummary:
    """Swap the faces of every input into ``output`` (a file for one input, else a folder) with
    the trained model in ``cfg.model_dir``. See :func:`swap_media` for what happens on problems."""
    swap = use_backend(load_model(cfg.model_dir, cfg.device, report), cfg.backend)
    try:
        swapper = FaceSwapper(swap, cfg.direction, cfg.blend)
    except ValueError as exc:
        raise TwofaceError(cfg.model_dir, str(exc)) from None
    model = f"{swap.name} ({Path(swap.folder).name}, step {swap.step})"
    record = provenance(f"autoencoder {cfg.direction}", model)
    return swap_media(inputs, output, swapper, record, cfg, report)


def swap_media(
    inputs: list[str | Path],
    output: str | Path,
    swapper: Swapper,
    record: dict,
    cfg: MediaConfig,
    report: Report = print,
    still_swapper: Swapper | None = None,
) -> ConvertSummary:
    """Run ``swapper`` over every face of every input and write the results with ``record``;
    image inputs use ``still_swapper`` instead when one is given.

    Problems with single inputs are reported and skipped; a bad reference photo or unusable
    output stops the run with TwofaceError. Ctrl-C stops cleanly: finished outputs are kept,
    the one in progress is removed (``summary.interrupted``).
    """
    files, errors = expand_inputs(inputs)
    summary = ConvertSummary()
    for err in errors:
        _problem(summary, report, str(err))
    plan = plan_outputs(files, [Path(p) for p in inputs], Path(output))
    detect = make_detector(cfg.detect.detector, cfg.detect.upsample)
    refs = load_references([Path(p) for p in cfg.only], detect) if cfg.only else None
    job = _Job(swapper, cfg, refs, record, report, still_swapper)
    try:
        for src, dst in plan:
            _convert_one(src, dst, job, summary)
    except KeyboardInterrupt:
        summary.interrupted = True
    return summary


def plan_outputs(files: list[Path], inputs: list[Path], output: Path) -> list[tuple[Path, Path]]:
    """Pair every input file with its output path.

    One input file and an ``output`` with a suffix: that file. Otherwise ``output`` is a folder
    and each file keeps its name (its path below the input folder it came from; a format twoface
    cannot write becomes .png or .mp4). Raises
    TwofaceError when an output would overwrite its own input or names a format twoface cannot
    write for its input (:func:`~twoface.media.write.check_output`), before anything is opened.
    """
    single = len(inputs) == 1 and inputs[0].is_file()
    if single and (output.suffix or FRAME_PATTERN in output.name):
        plan = [(files[0], output)]
    else:
        plan = [(f, output / _writable(_relative(f, inputs), media_kind(f))) for f in files]
    for src, dst in plan:
        if dst.exists() and dst.resolve() == src.resolve():
            raise TwofaceError(dst, "output is the input itself; choose another output path")
        check_output(dst, media_kind(src))
    return plan


def _writable(name: Path, kind: str) -> Path:
    """``name`` in a folder output, its suffix changed to .png (images) or .mp4 (videos) where
    twoface cannot write its own format (.bmp, .flv ...)."""
    allowed, fallback = (IMAGE_OUT, ".png") if kind == "image" else (VIDEO_OUT, ".mp4")
    return name if name.suffix.lower() in allowed else name.with_suffix(fallback)


def _relative(file: Path, inputs: list[Path]) -> Path:
    for root in inputs:
        if root.is_dir() and file.is_relative_to(root):
            return file.relative_to(root)
    return Path(file.name)


def _problem(summary: ConvertSummary, report: Report, line: str) -> None:
    summary.problems.append(line)
    report(line)


def _convert_one(src: Path, dst: Path, job: _Job, summary: ConvertSummary) -> None:
    record = {**job.record, "source": src.name}
    try:
        if media_kind(src) == "image":
            swapped = _convert_image(src, dst, job, record, summary)
        else:
            swapped = _convert_video(src, dst, job, record, summary)
    except TwofaceError as exc:
        _problem(summary, job.report, str(exc))
        return
    summary.outputs.append(str(dst))
    if swapped == 0:
        job.report(f"{src}: no face swapped; {dst} shows the input unchanged (with the provenance record)")


def _tracker(job: _Job, is_video: bool) -> Tracker:
    d = job.cfg.detect
    return make_tracker(make_detector(d.detector, d.upsample), d, is_video)


class _IdentityGate:
    """Decides per track whether a face is swapped (``--only``), re-checking now and then."""

    def __init__(self, refs: np.ndarray | None, threshold: float, every: int) -> None:
        self.refs, self.threshold, self.every = refs, threshold, every
        self.decided: dict[int, tuple[int, bool]] = {}

    def __call__(self, image: np.ndarray, index: int, face: TrackedFace) -> bool:
        if self.refs is None:
            return True
        last = self.decided.get(face.track_id)
        if last is None or index - last[0] >= self.every:
            keep = keep_face(embed(image, face.raw_landmarks), self.refs, None, self.threshold)
            last = (index, keep)
            self.decided[face.track_id] = last
        return last[1]


def _convert_image(src: Path, dst: Path, job: _Job, record: dict, summary: ConvertSummary) -> int:
    frame = next(iter(iter_frames(src)))
    tracker = _tracker(job, is_video=False)
    gate = _IdentityGate(job.refs, job.cfg.threshold, job.cfg.detect.embed_every)
    faces = tracker.update(frame)
    image, swapped = _apply(frame.image, frame.index, faces, gate, job, summary)
    write_image(dst, image, record, source=src)
    summary.frames += 1
    return swapped


def _apply(image, index, faces, gate, job: _Job, summary: ConvertSummary) -> tuple[np.ndarray, int]:
    chosen = [f.landmarks for f in faces if gate(image, index, f)]
    summary.faces_skipped += len(faces) - len(chosen)
    summary.faces_swapped += len(chosen)
    out = (job.still_swapper or job.swapper)(image, chosen)
    return mark(label(out) if job.cfg.watermark else out), len(chosen)


def _open_writer(src: Path, dst: Path, job: _Job, record: dict):
    if FRAME_PATTERN in dst.name:
        return _FrameFiles(dst, record)
    if dst.suffix.lower() == ".gif":
        return GifWriter(dst, record)
    cfg = job.cfg
    return VideoWriter(dst, src, record, cfg.codec, cfg.crf, cfg.preset, job.report)


class _FrameFiles:
    """Numbered image files: ``dst`` is a printf pattern such as ``frames/%06d.png``. Like a
    video, the frames are all or nothing: :meth:`abort` (Ctrl-C, an error) removes the ones
    written, and the folder when this run made it."""

    def __init__(self, pattern: Path, record: dict) -> None:
        self.pattern, self.record, self.written = pattern, record, []
        self.made = [p for p in (pattern.parent, *pattern.parent.parents) if not p.exists()]

    def write(self, image: np.ndarray, pts_seconds: float) -> None:
        path = Path(str(self.pattern) % len(self.written))
        write_image(path, image, self.record, sign=False)  # frame files keep the JSON record only
        self.written.append(path)

    def close(self) -> None:
        pass

    def abort(self) -> None:
        for path in self.written:
            path.unlink(missing_ok=True)
        for folder in self.made:  # deepest first; only what is still empty
            with contextlib.suppress(OSError):
                folder.rmdir()


def _convert_video(src: Path, dst: Path, job: _Job, record: dict, summary: ConvertSummary) -> int:
    total = video_info(src).frames or None  # an unreadable file fails here, with its name
    tracker = _tracker(job, is_video=True)
    gate = _IdentityGate(job.refs, job.cfg.threshold, job.cfg.detect.embed_every)
    writer = _open_writer(src, dst, job, record)
    swapped = 0
    bar = tqdm(total=total, desc=src.name[:30], unit="frame", disable=not job.cfg.progress, leave=False)
    try:
        with bar:
            for frame in prefetch(iter_frames(src, warn=job.report)):
                faces = tracker.update(frame)
                image, n = _apply(frame.image, frame.index, faces, gate, job, summary)
                writer.write(image, frame.pts_seconds)
                swapped += n
                summary.frames += 1
                bar.update(1)
        writer.close()
    except BaseException:
        writer.abort()
        raise
    return swapped
