"""Writing images and videos, with provenance, atomically.

Every writer puts its bytes under a temporary name next to the target and renames it only when
the file is complete, so a crash, Ctrl-C or full disk never leaves a half file under the final
name. Images are RGB uint8 ``(H, W, 3)``.

Files in the formats C2PA carries (:data:`~twoface.media.credentials.C2PA_SUFFIXES`) also get
signed Content Credentials (:mod:`twoface.media.credentials`), added to the partial file before
the rename, so no name ever holds an unsigned or half-signed file.

Videos (:class:`VideoWriter`) keep the source's timestamps frame by frame (so frame rate, frame
count and duration match), and its audio: packets are copied when the output container takes
the codec, transcoded otherwise, and interleaved with the video as it is written so memory does
not grow with the length. Animated GIFs go through Pillow (which can store the record).
"""

from __future__ import annotations

import contextlib
import errno
import os
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image

from twoface.errors import TwofaceError
from twoface.media import credentials
from twoface.media.provenance import container_tags, pillow_save_args

# Audio codecs each container takes as they are; anything else is transcoded to the default.
_AUDIO_COPY = {
    ".mp4": {"aac", "mp3", "alac", "ac3", "eac3", "opus", "flac"},
    ".m4v": {"aac", "mp3", "alac", "ac3"},
    ".mov": {"aac", "mp3", "alac", "ac3", "pcm_s16le", "pcm_s24le"},
    ".webm": {"opus", "vorbis"},
    ".avi": {"mp3", "ac3", "pcm_s16le"},
}
_AUDIO_DEFAULT = {".webm": "libopus", ".avi": "libmp3lame"}
_VIDEO_DEFAULT = {".webm": "libvpx-vp9", ".avi": "mpeg4"}
AUDIO_LEAD = 0.5  # seconds of audio muxed ahead of the video written so far
IMAGE_OUT = (".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff")  # BMP cannot carry the record
VIDEO_OUT = (".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".gif")
FRAME_PATTERN = "%"  # an output name with a printf pattern (frames/%06d.png) means image frames


def check_output(path: Path, kind: str) -> None:
    """Raise TwofaceError unless ``path`` names an output twoface can write for an input of
    ``kind`` ("image" or "video"): an image suffix for an image; a video suffix, or a frames
    pattern with an image suffix, for a video."""
    suffix = path.suffix.lower()
    if suffix == ".bmp":
        raise TwofaceError(path, "BMP cannot carry the provenance record; use .png")
    if kind == "video" and FRAME_PATTERN in path.name:
        allowed, what = IMAGE_OUT, "a frames pattern"
    elif kind == "video":
        allowed, what = VIDEO_OUT, "a video"
    else:
        allowed, what = IMAGE_OUT, "an image"
    if suffix not in allowed:
        named = f"suffix {suffix!r}" if suffix else "no suffix"
        raise TwofaceError(path, f"{named} for {what} output; use one of {' '.join(allowed)}")


def partial_path(path: Path) -> Path:
    """The temporary name a file is written under until it is complete (same suffix)."""
    return path.with_name(f".{path.stem}.partial{path.suffix}")


def _fail(path: Path, exc: Exception) -> TwofaceError:
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return TwofaceError(
            path, f"disk full while writing ({exc.strerror}); nothing was left under this name"
        )
    return TwofaceError(path, f"could not write ({exc})")


def write_image(
    path: str | Path, image: np.ndarray, record: dict, source: Path | None = None, sign: bool = True
) -> None:
    """Save an RGB uint8 image in the format its suffix names, with the provenance ``record``
    and, when ``sign`` and the format carries one, a C2PA manifest whose parent ingredient is
    ``source`` (the input the image was made from; None: made from nothing that is a file)."""
    path = Path(path)
    tmp = partial_path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(image).save(tmp, **pillow_save_args(path.suffix, record))
        if sign:
            credentials.sign(tmp, record, source, title=path.name)
        os.replace(tmp, path)
    except (OSError, ValueError) as exc:
        tmp.unlink(missing_ok=True)
        raise _fail(path, exc) from None
    except BaseException:  # Ctrl-C mid-write: no half file under either name
        tmp.unlink(missing_ok=True)
        raise


class GifWriter:
    """Animated GIF through Pillow; frames are held until :meth:`close` (GIFs are short)."""

    def __init__(self, path: Path, record: dict) -> None:
        self.path, self.record = path, record
        self.frames: list[Image.Image] = []
        self.times: list[float] = []

    def write(self, image: np.ndarray, pts_seconds: float) -> None:
        self.frames.append(Image.fromarray(image).convert("P", palette=Image.Palette.ADAPTIVE))
        self.times.append(pts_seconds)

    def close(self) -> None:
        if not self.frames:
            raise TwofaceError(self.path, "no frames to write")
        step = (self.times[-1] - self.times[0]) / max(1, len(self.times) - 1) or 0.1
        gaps = np.diff([*self.times, self.times[-1] + step])
        durations = [max(20, round(g * 1000)) for g in gaps]
        tmp = partial_path(self.path)
        try:
            self.frames[0].save(
                tmp,
                save_all=True,
                append_images=self.frames[1:],
                duration=durations,
                loop=0,
                **pillow_save_args(".gif", self.record),
            )
            os.replace(tmp, self.path)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise _fail(self.path, exc) from None

    def abort(self) -> None:
        self.frames.clear()


class VideoWriter:
    """Encode frames to ``path`` with the timing, audio and metadata of ``source`` (or, with
    ``source`` None, at a nominal ``rate`` with millisecond timestamps and no audio: live capture).

    ``codec`` None picks H.264 (VP9 for .webm, MPEG-4 Part 2 for .avi); ``crf`` and ``preset``
    apply to the x264/x265/VP9 encoders. Call :meth:`write` with each frame's RGB image and its
    source timestamp, then :meth:`close` (or :meth:`abort` to leave nothing behind). With ``sign``,
    :meth:`close` adds a C2PA manifest (source as parent ingredient) where the format carries one.
    """

    def __init__(
        self,
        path: Path,
        source: Path | None,
        record: dict,
        codec: str | None = None,
        crf: int = 18,
        preset: str = "medium",
        report=print,
        rate: Fraction = Fraction(25),
        sign: bool = True,
    ) -> None:
        self.path, self.tmp = path, partial_path(path)
        self.source, self.record, self.sign = source, record, sign
        self.report = report
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.src = av.open(str(source)) if source is not None else None
        except (av.error.FFmpegError, OSError) as exc:
            raise TwofaceError(source, f"not a readable video ({exc})") from None
        self.codec, self.crf, self.preset = codec, crf, preset
        src_video = self.src.streams.video[0] if self.src else None
        self.rate = (src_video.average_rate if src_video else None) or rate
        self.time_base = (src_video.time_base if src_video else None) or Fraction(1, 1000)
        self.video = None
        mp4_family = path.suffix.lower() in (".mp4", ".m4v", ".mov")  # others store any tag anyway
        options = {"movflags": "use_metadata_tags"} if mp4_family else {}
        self.out = av.open(str(self.tmp), "w", options=options)
        try:
            self._copy_metadata(record)
        except (av.error.FFmpegError, ValueError) as exc:
            self.abort()
            raise TwofaceError(path, f"cannot write this format ({exc})") from None
        self.audio_in = self.src.streams.audio[0] if self.src and self.src.streams.audio else None
        self.audio_out = self.resampler = None  # added after the video stream: video comes first
        self.audio_packets = self.src.demux(self.audio_in) if self.audio_in else iter(())
        self.audio_done = self.audio_in is None
        self.frames = 0

    def _copy_metadata(self, record: dict) -> None:
        found = self.src.metadata.items() if self.src else ()
        keep = {k: v for k, v in found if k not in ("encoder", "major_brand")}
        self.out.metadata.update({**keep, **container_tags(record)})

    def _video_stream(self, width: int, height: int):
        name = self.codec or _VIDEO_DEFAULT.get(self.path.suffix.lower(), "libx264")
        stream = self.out.add_stream(name, rate=self.rate)
        stream.width, stream.height = width, height
        stream.pix_fmt = _pixel_format(name, width, height)
        if self.path.suffix.lower() == ".avi":  # a constant-rate container: one tick per frame
            self.time_base = 1 / Fraction(self.rate)
        stream.time_base = self.time_base
        stream.codec_context.time_base = self.time_base  # timestamps pass through unrounded
        if name in ("libx264", "libx265"):
            stream.options = {"crf": str(self.crf), "preset": self.preset}
        elif name == "libvpx-vp9":
            stream.options = {"crf": str(self.crf + 13), "b": "0", "deadline": "good", "cpu-used": "4"}
        return stream

    def _audio_stream(self):
        if self.audio_in is None:
            return None, None
        name = self.audio_in.codec_context.name
        allowed = _AUDIO_COPY.get(self.path.suffix.lower())
        if allowed is None or name in allowed:  # .mkv and others: copy anything
            return self.out.add_stream_from_template(self.audio_in), None
        codec = _AUDIO_DEFAULT.get(self.path.suffix.lower(), "aac")
        rate = self.audio_in.codec_context.sample_rate or 48000
        stream = self.out.add_stream(codec, rate=48000 if codec == "libopus" else rate)
        self.report(f"{self.path}: audio ({name}) transcoded to {codec} for this container")
        resampler = av.AudioResampler(
            format=stream.codec_context.codec.audio_formats[0].name,
            layout="stereo" if self.audio_in.codec_context.channels > 1 else "mono",
            rate=stream.codec_context.sample_rate,
        )
        return stream, resampler

    def write(self, image: np.ndarray, pts_seconds: float) -> None:
        """Encode one RGB frame shown at ``pts_seconds`` (the source frame's timestamp)."""
        if self.video is None:  # sized by the first frame: rotation was applied when decoding
            try:
                self.video = self._video_stream(image.shape[1], image.shape[0])
                self.audio_out, self.resampler = self._audio_stream()  # stream 1, after the video
            except (av.error.FFmpegError, ValueError) as exc:
                self.abort()
                raise TwofaceError(
                    self.path, f"cannot encode with {self.codec or 'the default codec'} ({exc})"
                ) from None
        frame = av.VideoFrame.from_ndarray(image, format="rgb24")
        frame.pts = round(pts_seconds / self.time_base)
        frame.time_base = self.time_base
        self._mux(self.video.encode(frame))
        self._pump_audio(pts_seconds + AUDIO_LEAD)
        self.frames += 1

    def _mux(self, packets) -> None:
        try:
            self.out.mux(packets)
        except OSError as exc:
            raise _fail(self.path, exc) from None

    def _pump_audio(self, until: float | None) -> None:
        while not self.audio_done:
            packet = next(self.audio_packets, None)
            if packet is None:
                self.audio_done = True
                break
            if packet.dts is None:
                continue
            self._write_audio(packet)
            if until is not None and packet.pts is not None and packet.pts * packet.time_base > until:
                break

    def _write_audio(self, packet) -> None:
        if self.resampler is None:
            packet.stream = self.audio_out
            self._mux(packet)
            return
        try:
            frames = packet.decode()
        except av.error.FFmpegError:
            return
        for frame in frames:
            for chunk in self.resampler.resample(frame):
                self._mux(self.audio_out.encode(chunk))

    def close(self) -> None:
        """Flush the encoders, the rest of the audio and the container, sign the file, then rename
        it into place."""
        try:
            if self.video is None:
                raise TwofaceError(self.path, "no frames to write")
            self._mux(self.video.encode())
            self._pump_audio(None)
            if self.resampler is not None:
                self._mux(self.audio_out.encode())
            self.out.close()
        except (OSError, av.error.FFmpegError) as exc:
            self.abort()
            raise _fail(self.path, exc) from None
        finally:
            if self.src is not None:
                self.src.close()
        try:
            if self.sign:
                credentials.sign(self.tmp, self.record, self.source, title=self.path.name)
            os.replace(self.tmp, self.path)
        except BaseException:  # a signing error (TwofaceError) or Ctrl-C: nothing is left behind
            self.tmp.unlink(missing_ok=True)
            raise

    def abort(self) -> None:
        """Stop and delete the partial file."""
        for container in (self.out, self.src):
            if container is None:
                continue
            with contextlib.suppress(Exception):  # best effort while already failing
                container.close()
        self.tmp.unlink(missing_ok=True)


def _pixel_format(codec: str, width: int, height: int) -> str:
    if codec == "png":
        return "rgb24"
    if codec == "ffv1" or width % 2 or height % 2:  # 4:2:0 needs even sides
        return "yuv444p"
    return "yuv420p"
