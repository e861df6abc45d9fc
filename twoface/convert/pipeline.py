"""Convert: images and videos in, the same media with faces swapped out.

Per input: decode (background thread) -> detect on a downscaled copy and track, with smoothed
landmarks -> optionally keep only faces matching reference photos (embedded once per track every
``embed_every`` frames) -> cut each face as training did -> one model batch per frame -> colour,
mask, paste -> encode (video with the source's timing and audio, or an image) with provenance.
Memory is bounded: frames stream through small queues whatever the video length.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from tqdm import tqdm

from twoface.config import ConvertConfig
from twoface.convert.blend import AUTO_MASK, BlendConfig, paste
from twoface.convert.swap import SwapModel, cut_face, load_model, run_model
from twoface.errors import TwofaceError
from twoface.extract.detect import make_detector
from twoface.extract.identity import embed, keep_face, load_references
from twoface.extract.pipeline import scaled_detector
from twoface.extract.track import TrackedFace, Tracker
from twoface.facetypes import FACE_TYPES
from twoface.media.prefetch import prefetch
from twoface.media.provenance import label, provenance
from twoface.media.read import IMAGE_EXTS, expand_inputs, iter_frames, media_kind, video_info
from twoface.media.write import GifWriter, VideoWriter, write_image

Report = Callable[[str], None]
FRAME_PATTERN = "%"  # an output name with a printf pattern (frames/%06d.png) means image frames


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
        return (
            f"{len(self.outputs)} files written, {self.frames} frames, {self.faces_swapped} faces swapped"
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
    cfg: ConvertConfig
    refs: np.ndarray | None
    record: dict
    report: Report
    still_swapper: Swapper | None = None  # for image inputs, where it differs (one-shot)


def convert(
    inputs: list[str | Path], output: str | Path, cfg: ConvertConfig, report: Report = print
) -> ConvertSummary:
    """Swap the faces of every input into ``output`` (a file for one input, else a folder) with
    the trained model in ``cfg.model_dir``. See :func:`swap_media` for what happens on problems."""
    swap = load_model(cfg.model_dir, cfg.device, report)
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
    cfg: ConvertConfig,
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
    detect = make_detector(cfg.detector, cfg.upsample)
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
    and each file keeps its name (its path below the input folder it came from). Raises
    TwofaceError when an output would overwrite its own input.
    """
    single = len(inputs) == 1 and inputs[0].is_file()
    if single and (output.suffix or FRAME_PATTERN in output.name):
        plan = [(files[0], output)]
    else:
        plan = [(f, output / _relative(f, inputs)) for f in files]
    for src, dst in plan:
        if dst.exists() and dst.resolve() == src.resolve():
            raise TwofaceError(dst, "output is the input itself; choose another output path")
        if dst.suffix.lower() == ".bmp":
            raise TwofaceError(dst, "BMP cannot carry the provenance record; use .png")
    return plan


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
    cfg = job.cfg
    detect = scaled_detector(
        make_detector(cfg.detector, cfg.upsample), cfg.detect_side if is_video else 1600, 0.0
    )
    return Tracker(
        detect,
        detect_every=cfg.detect_every if is_video else 1,
        smoothing=cfg.smoothing if is_video else None,
    )


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
    gate = _IdentityGate(job.refs, job.cfg.threshold, job.cfg.embed_every)
    faces = tracker.update(frame)
    image, swapped = _apply(frame.image, frame.index, faces, gate, job, summary)
    out = dst if dst.suffix.lower() in IMAGE_EXTS else dst.with_suffix(".png")
    write_image(out, image, record)
    summary.frames += 1
    return swapped


def _apply(image, index, faces, gate, job: _Job, summary: ConvertSummary) -> tuple[np.ndarray, int]:
    chosen = [f.landmarks for f in faces if gate(image, index, f)]
    summary.faces_skipped += len(faces) - len(chosen)
    summary.faces_swapped += len(chosen)
    out = (job.still_swapper or job.swapper)(image, chosen)
    return (label(out) if job.cfg.watermark else out), len(chosen)


def _open_writer(src: Path, dst: Path, job: _Job, record: dict):
    if FRAME_PATTERN in dst.name:
        return _FrameFiles(dst, record)
    if dst.suffix.lower() == ".gif":
        return GifWriter(dst, record)
    if not dst.suffix:
        raise TwofaceError(
            dst, "a video output needs a suffix (.mp4, .mkv, .webm, .mov, .gif) or a frames/%06d.png pattern"
        )
    cfg = job.cfg
    return VideoWriter(dst, src, record, cfg.codec, cfg.crf, cfg.preset, job.report)


class _FrameFiles:
    """Numbered image files: ``dst`` is a printf pattern such as ``frames/%06d.png``."""

    def __init__(self, pattern: Path, record: dict) -> None:
        self.pattern, self.record, self.count = pattern, record, 0

    def write(self, image: np.ndarray, pts_seconds: float) -> None:
        write_image(str(self.pattern) % self.count, image, self.record)
        self.count += 1

    def close(self) -> None:
        pass

    def abort(self) -> None:
        pass


def _convert_video(src: Path, dst: Path, job: _Job, record: dict, summary: ConvertSummary) -> int:
    total = _frame_total(src)
    tracker = _tracker(job, is_video=True)
    gate = _IdentityGate(job.refs, job.cfg.threshold, job.cfg.embed_every)
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


def _frame_total(path: Path) -> int | None:
    try:
        return video_info(path).frames or None
    except TwofaceError:
        return None
