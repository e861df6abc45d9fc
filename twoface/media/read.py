"""Reading images, folders and videos as :class:`~twoface.types.Frame` iterators.

Stills are decoded by Pillow (EXIF orientation applied, truncated files refused), videos and
GIFs by PyAV in one pass (display rotation applied). Every frame is an RGB uint8 ``(H, W, 3)``
C-contiguous array, which is what dlib needs.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
from PIL import Image, ImageOps

from twoface.errors import TwofaceError
from twoface.types import Frame

IMAGE_EXTS = frozenset({".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff"})
VIDEO_EXTS = frozenset(
    {".mp4", ".mkv", ".webm", ".mov", ".avi", ".gif", ".m4v", ".mpg", ".mpeg", ".ts", ".flv", ".wmv"}
)
# Pillow's decompression-bomb guard, raised to fit 200-megapixel photos; beyond it we refuse.
MAX_PIXELS = 200_000_000

Warn = Callable[[str], None]


@dataclass(frozen=True)
class VideoInfo:
    """What a video container says about its first video stream."""

    width: int
    height: int
    fps: float
    frames: int
    duration: float


def media_kind(path: Path) -> str:
    """``"image"`` for still-image extensions, otherwise ``"video"`` (PyAV decides)."""
    return "image" if path.suffix.lower() in IMAGE_EXTS else "video"


def expand_inputs(paths: list[str | Path]) -> tuple[list[Path], list[TwofaceError]]:
    """Turn files and folders (searched recursively for images and videos, sorted) into a list
    of media files. Missing paths and folders without media come back as errors."""
    found: list[Path] = []
    errors: list[TwofaceError] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            errors.append(TwofaceError(path, "no such file or folder"))
        elif path.is_dir():
            media = sorted(
                p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_EXTS | VIDEO_EXTS
            )
            if not media:
                errors.append(TwofaceError(path, "folder holds no images or videos"))
            found += media
        else:
            found.append(path)
    return found, errors


def read_image(path: str | Path) -> np.ndarray:
    """Decode a still image to RGB uint8, EXIF orientation applied. Raises TwofaceError for a
    missing, unreadable, truncated or oversized file."""
    path = Path(path)
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as im:
                im.load()
                im = ImageOps.exif_transpose(im)
                return np.ascontiguousarray(np.asarray(im.convert("RGB")))
    except FileNotFoundError:
        raise TwofaceError(path, "no such file") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise TwofaceError(path, f"image is larger than {MAX_PIXELS // 1_000_000} megapixels") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise TwofaceError(path, f"unreadable or truncated image ({exc})") from None


def video_info(path: str | Path) -> VideoInfo:
    """Size, frame rate, frame count and duration of a video's first video stream."""
    with _open_container(Path(path)) as container:
        stream = container.streams.video[0]
        fps = float(stream.average_rate or stream.guessed_rate or 0)
        duration = _duration(container, stream)
        frames = stream.frames or round(duration * fps)
        return VideoInfo(
            width=stream.codec_context.width,
            height=stream.codec_context.height,
            fps=fps,
            frames=int(frames),
            duration=duration,
        )


def _duration(container, stream) -> float:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    return float(container.duration or 0) / 1_000_000


def _open_container(path: Path):
    if not path.exists():
        raise TwofaceError(path, "no such file")
    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, UnicodeDecodeError) as exc:
        raise TwofaceError(path, f"not a readable image or video ({_reason(exc)})") from None
    if not container.streams.video:
        container.close()
        raise TwofaceError(path, "has no video stream")
    return container


def _reason(exc: Exception) -> str:
    return getattr(exc, "strerror", None) or str(exc)


def iter_frames(
    path: str | Path, every: int = 1, max_side: int | None = None, warn: Warn | None = None
) -> Iterator[Frame]:
    """Yield every ``every``-th frame of an image or video as a :class:`Frame`.

    ``max_side`` downscales frames whose longer side exceeds it (area interpolation).
    Corrupt packets mid-video are skipped with a call to ``warn`` and frame indices keep
    counting decoded frames, so timestamps stay true.
    """
    path = Path(path)
    if media_kind(path) == "image":
        frames: Iterator[Frame] = iter([Frame(0, 0.0, read_image(path))])
    else:
        frames = _video_frames(path, every, warn or (lambda _msg: None))
    for frame in frames:
        yield _fit(frame, max_side) if max_side else frame


def _fit(frame: Frame, max_side: int) -> Frame:
    import cv2

    h, w = frame.image.shape[:2]
    scale = max_side / max(h, w)
    if scale >= 1:
        return frame
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return Frame(frame.index, frame.pts_seconds, cv2.resize(frame.image, size, interpolation=cv2.INTER_AREA))


def _video_frames(path: Path, every: int, warn: Warn) -> Iterator[Frame]:
    with _open_container(path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        index = 0
        bad_packets = 0
        for packet in _packets(container, stream, path, warn):
            try:
                decoded = packet.decode()
            except av.error.FFmpegError as exc:
                bad_packets += 1
                if bad_packets == 1:
                    warn(f"{path}: skipping undecodable data near {_packet_time(packet)} ({_reason(exc)})")
                continue
            for vframe in decoded:
                if index % every == 0:
                    yield Frame(index, _frame_time(vframe, index, stream), _to_rgb(vframe))
                index += 1
        if index == 0:
            raise TwofaceError(path, "no decodable video frames")
        if bad_packets > 1:
            warn(f"{path}: skipped {bad_packets} undecodable packets in all")


def _packets(container, stream, path: Path, warn: Warn):
    """The stream's packets; a container too damaged to read on ends the stream with a warning
    (what was decoded so far stands)."""
    packets = container.demux(stream)
    while True:
        try:
            packet = next(packets)
        except StopIteration:
            return
        except av.error.FFmpegError as exc:
            warn(f"{path}: the file cannot be read past this point ({_reason(exc)})")
            return
        yield packet


def _packet_time(packet) -> str:
    if packet.pts is None or packet.time_base is None:
        return "an unknown time"
    return f"{float(packet.pts * packet.time_base):.2f} s"


def _frame_time(vframe, index: int, stream) -> float:
    if vframe.time is not None:
        return float(vframe.time)
    fps = float(stream.average_rate or 25)
    return index / fps


def _to_rgb(vframe) -> np.ndarray:
    image = vframe.to_ndarray(format="rgb24")
    rotation = getattr(vframe, "rotation", 0) or 0
    quarter_turns = round(rotation / 90) % 4
    if quarter_turns:
        image = np.rot90(image, quarter_turns)
    return np.ascontiguousarray(image)
