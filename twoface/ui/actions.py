"""What the page's buttons do, as plain functions of a :class:`Workspace` (no Gradio here): each
calls the same library function as the CLI and returns paths and one-line messages. Problems
raise TwofaceError, which the page shows as one line; nothing saved is touched by a failure.
"""

from __future__ import annotations

import shutil
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from twoface.errors import TwofaceError
from twoface.media.read import iter_frames, media_kind, video_info
from twoface.media.write import IMAGE_OUT
from twoface.ui.workspace import Workspace, check_name, free_name, is_media

Report = Callable[[str], None]
GALLERY_LIMIT = 120  # faces shown per gallery (the set itself may hold more)


def _quiet(_line: str) -> None:
    pass


def check_media(path: Path) -> Path:
    """``path`` if it is an image or a readable video, else TwofaceError naming it."""
    if not is_media(path):
        raise TwofaceError(path.name, f"not an image or video ({path.suffix.lower() or 'no extension'})")
    if media_kind(path) == "video":
        video_info(path)  # a broken file fails here, with its name
    return path


def keep_media(ws: Workspace, upload: str | Path) -> Path:
    """An upload checked (:func:`check_media`) and then copied into ``inputs/``, so that folder,
    which the page serves, never holds anything but photos and videos."""
    return ws.keep_upload(check_media(ws.confine(upload)))


def gather(ws: Workspace, uploads: list[str] | None, picked: list[str] | None) -> list[Path]:
    """Uploaded files (copied into ``inputs/``) and files picked from ``inputs/``, checked."""
    uploaded = [keep_media(ws, u) for u in uploads or []]
    files = uploaded + [check_media(ws.input_path(n)) for n in picked or []]
    if not files:
        raise TwofaceError("inputs", "give a photo or video (upload, or pick one from the workspace)")
    return files


# --- faces -----------------------------------------------------------------------------------


def extract_faces(ws: Workspace, files: list[Path], name: str, report: Report = _quiet) -> str:
    """Extract every face of ``files`` into the face set ``name``; the summary line."""
    from twoface.config import ExtractConfig
    from twoface.extract.pipeline import extract

    summary = extract(files, ws.faceset(name), ExtractConfig(progress=True), report)
    if summary.problems and not summary.faces_kept:
        raise TwofaceError(name, summary.problems[0])
    if summary.faces_kept == 0 and not summary.sources_skipped:
        raise TwofaceError(", ".join(f.name for f in files), "no faces found")
    problems = f" Problems: {'; '.join(summary.problems)}" if summary.problems else ""
    return f"{name}: {summary.line()}.{problems}"


@dataclass(frozen=True)
class Cluster:
    """One person of a face set: ``label`` 0 is the largest; ``files`` the crop files."""

    label: int
    files: tuple[str, ...]


def clusters(ws: Workspace, name: str) -> list[Cluster]:
    """The face set's faces grouped by person (dlib embeddings, as ``sort --by identity``)."""
    from twoface.extract.identity import cluster

    records = _records(ws, name)
    labels = cluster(np.stack([r.embedding_array() for r in records]))
    return [
        Cluster(k, tuple(r.file for r, lab in zip(records, labels, strict=True) if lab == k))
        for k in range(int(labels.max()) + 1)
    ]


def _records(ws: Workspace, name: str) -> list:
    from twoface.extract.faceset import FaceSet

    path = ws.faceset(name)
    if not (path / "faces.jsonl").exists():
        raise TwofaceError(name, "no such face set in the workspace")
    records = FaceSet.open(path).records()
    if not records:
        raise TwofaceError(name, "face set is empty")
    return records


def face_paths(ws: Workspace, name: str, files: tuple[str, ...] | list[str]) -> list[Path]:
    """The crop files of face set ``name`` (at most GALLERY_LIMIT)."""
    from twoface.extract.faceset import FaceSet

    faces = FaceSet.open(ws.faceset(name)).faces_dir
    return [faces / f for f in list(files)[:GALLERY_LIMIT]]


def assign_cluster(ws: Workspace, name: str, label: int, side: str) -> str:
    """Write person ``label`` of face set ``name`` as the face set ``side`` ("A" or "B"). A face
    set already there is kept, renamed ``<side>_previous`` (then ``_2``...)."""
    from twoface.extract.faceset import FaceSet
    from twoface.extract.sort import write_subset

    side = check_name(side, "face set")
    groups = clusters(ws, name)
    if not 0 <= label < len(groups):
        raise TwofaceError(name, f"has no person {label + 1} (it has {len(groups)})")
    if side == name:
        raise TwofaceError(name, f"pick another face set than {name} to take person {label + 1}")
    chosen = set(groups[label].files)
    faceset = FaceSet.open(ws.faceset(name))
    out, note = ws.faceset(side), ""
    if out.exists():
        old = free_name(out.parent, f"{side}_previous")
        out.rename(old)
        note = f" (the earlier {side} is kept as {old.name})"
    write_subset(faceset, [r for r in faceset.records() if r.file in chosen], out)
    return f"{side}: person {label + 1} of {name}, {len(chosen)} faces{note}"


def drop_faces(ws: Workspace, name: str, files: set[str]) -> str:
    from twoface.extract.sort import drop_faces as drop

    if not files:
        raise TwofaceError(name, "no faces selected: click faces in the gallery first")
    n = drop(ws.faceset(name), files)
    return f"{name}: {n} faces moved to dropped/"


def sort_faces(ws: Workspace, name: str, by: str, drop_worst: str | None = None) -> str:
    from twoface.extract.sort import RANKERS, sort_by

    if by not in RANKERS:
        raise TwofaceError(by, f"unknown order; choose from {', '.join(RANKERS)}")
    _records(ws, name)
    kept, dropped = sort_by(ws.faceset(name), by, drop_worst or None)
    return f"{name}: {kept} faces sorted by {by}" + (f", {dropped} moved to dropped/" if dropped else "")


# --- convert and one-shot --------------------------------------------------------------------


@dataclass(frozen=True)
class SwapChoice:
    """The page's convert options: colour method, mask, blend (``feather`` or ``seamless``),
    direction, an optional ``--only`` reference photo."""

    colour: str = "reinhard"
    mask: str = "auto"
    blend: str = "feather"
    direction: str = "a2b"
    only: str | None = None

    def media(self) -> dict:
        from twoface.convert.blend import BlendConfig

        if self.blend not in BLENDS:
            raise TwofaceError(self.blend, f"unknown blend; choose from {', '.join(BLENDS)}")
        blend = BlendConfig(colour=self.colour, mask=self.mask, seamless=self.blend == "seamless")
        return {"blend": blend, "only": (self.only,) if self.only else (), "progress": True}


BLENDS = ("feather", "seamless")


def _output_for(ws: Workspace, src: Path, tag: str) -> Path:
    kind = media_kind(src)
    suffix = src.suffix.lower() if kind == "image" and src.suffix.lower() in IMAGE_OUT else None
    return ws.output_path(f"{src.stem}_{tag}", suffix or (".png" if kind == "image" else ".mp4"))


def _one_output(summary, dst: Path) -> Path:
    if summary.problems:
        raise TwofaceError(dst.name, summary.problems[0])
    if not dst.exists():
        raise TwofaceError(dst.name, "was not written")
    return dst


def convert_file(ws: Workspace, model: str, src: Path, choice: SwapChoice, report: Report = _quiet) -> Path:
    """Swap ``src`` (image or video) with the workspace model ``model``; the result's path."""
    from twoface.config import ConvertConfig
    from twoface.convert.pipeline import convert

    folder = _model_folder(ws, model)
    dst = _output_for(ws, src, model)
    cfg = ConvertConfig(model_dir=str(folder), direction=choice.direction, **choice.media())
    return _one_output(convert([src], dst, cfg, report), dst)


def _model_folder(ws: Workspace, model: str) -> Path:
    folder = ws.model(model)
    if not (folder / "model.json").exists():
        raise TwofaceError(model, "no such model in the workspace (train one first)")
    return folder


def frame_count(src: Path) -> int:
    """Frames of a video (1 for an image)."""
    return 1 if media_kind(src) == "image" else max(1, video_info(src).frames or 1)


def preview_frame(
    ws: Workspace, model: str, src: Path, index: int, choice: SwapChoice, report: Report = _quiet
) -> Path:
    """Frame ``index`` of ``src`` swapped as the whole video would be: a PNG with the record."""
    still = _frame_file(ws, src, index)
    try:
        return convert_file(ws, model, still, choice, report)
    finally:
        still.unlink(missing_ok=True)


def _frame_file(ws: Workspace, src: Path, index: int) -> Path:
    import cv2

    frame = None
    for frame in iter_frames(src):
        if frame.index >= index:
            break
    if frame is None:
        raise TwofaceError(src.name, "has no frames")
    folder = ws.folder("outputs") / "previews"
    folder.mkdir(exist_ok=True)
    path = free_name(folder, f"{src.stem}_frame{frame.index:06d}.png")
    cv2.imwrite(str(path), cv2.cvtColor(frame.image, cv2.COLOR_RGB2BGR))
    return path


def one_shot(
    ws: Workspace, face: Path, target: Path, colour: str = "reinhard", report: Report = _quiet
) -> Path:
    """The face of photo ``face`` on every face of ``target`` (image or video), no training."""
    from twoface.config import OneShotConfig
    from twoface.convert.blend import BlendConfig
    from twoface.oneshot import swap_one_shot

    check_media(face)
    if media_kind(face) != "image":
        raise TwofaceError(face.name, "the face must be a photo")
    dst = _output_for(ws, target, f"as_{face.stem}")
    cfg = OneShotConfig(blend=BlendConfig(colour=colour), progress=True)
    return _one_output(swap_one_shot(face, [target], dst, cfg, report), dst)


def remove_output(ws: Workspace, path: Path) -> None:
    """Delete a result file of ``outputs/`` (only there)."""
    path = ws.confine(path)
    if path.parent != ws.folder("outputs"):
        raise TwofaceError(path.name, "not a result in outputs/")
    path.unlink(missing_ok=True)


# --- live ------------------------------------------------------------------------------------


class LiveSession:
    """The browser webcam's frames through a swapper: ``source`` is a photo (one-shot) or a
    workspace model. Frames are RGB uint8 ``(H, W, 3)``; each comes back swapped, with the
    visible SYNTHETIC label and the frame rate drawn on it."""

    def __init__(self, ws: Workspace, face: Path | None, model: str | None) -> None:
        from twoface.config import LiveConfig
        from twoface.extract.detect import make_detector
        from twoface.extract.pipeline import make_tracker
        from twoface.live import swapper_for

        folder = str(_model_folder(ws, model)) if model else None
        cfg = LiveConfig(face=str(face) if face else None, model_dir=folder)
        self.key = (str(face), model)
        self.swapper, _record = swapper_for(cfg, _quiet)
        self.tracker = make_tracker(make_detector(cfg.detect.detector, cfg.detect.upsample), cfg.detect, True)
        self.index, self.times = 0, deque(maxlen=30)

    def __call__(self, image: np.ndarray, now: float) -> tuple[np.ndarray, float]:
        """The swapped, labelled frame and the frame rate over the last 30 frames."""
        from twoface.live import overlay
        from twoface.media.provenance import label
        from twoface.media.watermark import embed as mark
        from twoface.types import Frame

        image = np.ascontiguousarray(image[..., :3])
        faces = self.tracker.update(Frame(self.index, now, image))
        self.index += 1
        out = mark(self.swapper(image, [f.landmarks for f in faces]))
        self.times.append(now)
        fps = (len(self.times) - 1) / (self.times[-1] - self.times[0]) if len(self.times) > 1 else 0.0
        return label(overlay(out, fps, None)), fps


def clear_previews(ws: Workspace) -> None:
    shutil.rmtree(ws.folder("outputs") / "previews", ignore_errors=True)
