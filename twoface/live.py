"""Live: a camera (or a video file standing in for one) -> swap -> window, stream, recording.

Three threads keep both cores busy and latency flat:

1. the grabber reads frames at the source's own pace and keeps only the newest (a frame the
   workers were too slow for is dropped, so delay never grows);
2. the tracker finds landmarks (detection on a ``detect.detect_size`` px copy every few frames,
   tracking and One Euro smoothing between) and also hands on only its newest result;
3. the main thread swaps (model or one-shot), labels, shows and records.

Each hand-over is a one-slot mailbox, never a queue: a stage always works on the newest frame
the stage before it finished, so latency is about one tracking plus one swap.

The preview shows fps and latency (capture to display). Recordings carry the provenance record
and a visible SYNTHETIC label. Images are RGB uint8 ``(H, W, 3)`` throughout.
"""

from __future__ import annotations

import os
import statistics
import threading
import time
from collections import deque
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import cv2
import numpy as np

from twoface.config import LiveConfig
from twoface.errors import TwofaceError
from twoface.extract.detect import make_detector
from twoface.extract.pipeline import make_tracker
from twoface.extract.track import Tracker
from twoface.media.provenance import label, provenance
from twoface.media.read import iter_frames, video_info
from twoface.media.watermark import embed as mark
from twoface.media.write import VideoWriter
from twoface.types import Frame

Report = Callable[[str], None]


@dataclass(frozen=True)
class LiveStats:
    """What a live session achieved: frames read from the source, frames shown, frames dropped,
    frames shown per second (their count over the session's length), and capture-to-display
    latency (median, 95th percentile)."""

    frames_in: int
    frames_shown: int
    dropped: int
    fps: float
    latency_ms_median: float
    latency_ms_p95: float

    def line(self) -> str:
        return (
            f"{self.frames_shown} frames shown of {self.frames_in} read ({self.dropped} dropped), "
            f"{self.fps:.1f} fps, latency {self.latency_ms_median:.0f} ms median, "
            f"{self.latency_ms_p95:.0f} ms 95th percentile"
        )


def _file_frames(path: Path, report: Report) -> Iterator[Frame]:
    """Frames of a video at its own pace: each is yielded when its timestamp comes due."""
    start = time.monotonic()
    first = None
    for frame in iter_frames(path, warn=report):
        first = frame.pts_seconds if first is None else first
        delay = start + frame.pts_seconds - first - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        yield frame


def open_camera(index: int):
    """An opened ``cv2.VideoCapture``; TwofaceError naming the cameras found when it fails."""
    level = cv2.utils.logging.getLogLevel()
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
    try:
        cap = cv2.VideoCapture(index)
        if cap.isOpened():
            return cap
        found = [i for i in range(6) if i != index and cv2.VideoCapture(i).isOpened()]
    finally:
        cv2.utils.logging.setLogLevel(level)
    listed = ", ".join(map(str, found)) or "none"
    raise TwofaceError(
        f"camera {index}", f"cannot open it (cameras found: {listed}); --source FILE plays a video"
    )


def _camera_frames(cap, index: int) -> Iterator[Frame]:
    start, n = time.monotonic(), 0
    try:
        while True:
            ok, bgr = cap.read()
            if not ok:
                if n == 0:
                    raise TwofaceError(f"camera {index}", "opened but gives no frames (busy or unplugged?)")
                return
            yield Frame(
                n, time.monotonic() - start, np.ascontiguousarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
            )
            n += 1
    finally:
        cap.release()


class _Latest:
    """A one-frame mailbox: ``put`` replaces what was not yet taken (counted as dropped)."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.item = None
        self.dropped = 0
        self.closed = False
        self.error: BaseException | None = None

    def put(self, item) -> None:
        with self.cond:
            self.dropped += self.item is not None
            self.item = item
            self.cond.notify()

    def close(self, error: BaseException | None = None) -> None:
        with self.cond:
            self.closed, self.error = True, error
            self.cond.notify_all()

    def take(self):
        """The newest item, or None once the source has ended."""
        with self.cond:
            while self.item is None and not self.closed:
                self.cond.wait(0.1)
            item, self.item = self.item, None
            return item


def _grab(
    frames: Generator[Frame, None, None], mailbox: _Latest, stop: threading.Event, counter: list[int]
) -> None:
    """Feed ``frames`` into ``mailbox`` until they end or ``stop``; then close them (a camera
    is released here, not whenever the generator is collected)."""
    try:
        for frame in frames:
            if stop.is_set():
                break
            counter[0] += 1
            mailbox.put((frame, time.monotonic()))
        mailbox.close()
    except BaseException as exc:  # handed to the main thread, which reports it
        mailbox.close(exc)
    finally:
        frames.close()


def _track(mailbox: _Latest, tracker: Tracker, out: _Latest, stop: threading.Event) -> None:
    try:
        while not stop.is_set():
            item = mailbox.take()
            if item is None:
                break
            frame, captured = item
            faces = tracker.update(frame)
            out.put((frame, [f.landmarks for f in faces], captured))
        out.close()
    except BaseException as exc:  # handed to the main thread, which reports it
        out.close(exc)


class MjpegServer:
    """The newest frame as an MJPEG stream on ``http://127.0.0.1:PORT/`` (a page) and ``/stream``."""

    def __init__(self, port: int) -> None:
        self.cond = threading.Condition()
        self.jpeg: bytes | None = None
        self.running = True
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def publish(self, image: np.ndarray) -> None:
        _, data = cv2.imencode(".jpg", cv2.cvtColor(image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 80])
        with self.cond:
            self.jpeg = data.tobytes()
            self.cond.notify_all()

    def close(self) -> None:
        with self.cond:
            self.running = False
            self.cond.notify_all()
        self.httpd.shutdown()
        self.httpd.server_close()

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args) -> None:
                pass

            def do_GET(self) -> None:
                if self.path != "/stream":
                    page = b"<html><body style='margin:0;background:#111'><img src='/stream'></body></html>"
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html")
                    self.end_headers()
                    self.wfile.write(page)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
                self.end_headers()
                sent = [None]
                while server.running:
                    with server.cond:
                        server.cond.wait_for(lambda: server.jpeg is not sent[0] or not server.running, 1.0)
                        jpeg = sent[0] = server.jpeg
                    if jpeg is None or not server.running:
                        continue
                    try:
                        self.wfile.write(b"--frame\r\nContent-Type: image/jpeg\r\n\r\n" + jpeg + b"\r\n")
                    except OSError:
                        return

        return Handler


def _window_available() -> bool:
    if os.name != "nt" and not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        return False
    try:
        cv2.namedWindow("twoface live")
    except cv2.error:
        return False
    return True


def overlay(image: np.ndarray, fps: float, latency_ms: float | None) -> np.ndarray:
    """A copy of RGB ``image`` with the frame rate (and latency, when known) drawn top left."""
    out = image.copy()
    text = f"{fps:4.1f} fps" + (f"  {latency_ms:3.0f} ms" if latency_ms is not None else "")
    cv2.putText(out, text, (8, 22), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (0, 0, 0), 3, cv2.LINE_AA)
    cv2.putText(out, text, (8, 22), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (255, 255, 0), 1, cv2.LINE_AA)
    return out


def swapper_for(cfg: LiveConfig, report: Report):
    """The face swapper and its provenance record: one-shot photo or trained model."""
    if cfg.face is not None:
        from twoface.oneshot import OneShotSwapper, load_source_face

        source = load_source_face(cfg.face, make_detector(cfg.detect.detector, cfg.detect.upsample), report)
        return OneShotSwapper(source, cfg.colour), provenance("live one-shot landmark warp")
    from twoface.convert.blend import BlendConfig
    from twoface.convert.pipeline import FaceSwapper
    from twoface.convert.swap import load_model, use_backend

    swap = use_backend(load_model(cfg.model_dir, cfg.device, report), cfg.backend)
    try:
        swapper = FaceSwapper(swap, "a2b", BlendConfig(colour=cfg.colour, mask=cfg.mask))
    except ValueError as exc:
        raise TwofaceError(cfg.model_dir, str(exc)) from None
    return swapper, provenance("live autoencoder a2b", f"{swap.name} (step {swap.step})")


VIRTUAL_HELP = (
    "install the extra (pip install 'twoface[virtualcam]') and a backend: v4l2loopback on Linux "
    "(sudo modprobe v4l2loopback), OBS Studio's virtual camera on Windows and macOS"
)


def _default_place(cfg: LiveConfig) -> str:
    return "banner" if cfg.virtual_camera else "bottom-left"


class VirtualCamera:
    """The shown stream as a virtual camera (pyvirtualcam), opened at the first frame's size.
    Without pyvirtualcam or a backend: one TwofaceError line saying what to install."""

    def __init__(self, report: Report) -> None:
        try:
            import pyvirtualcam
        except ImportError:
            raise TwofaceError("virtual camera", f"pyvirtualcam is not installed: {VIRTUAL_HELP}") from None
        self.module, self.camera, self.report = pyvirtualcam, None, report

    def send(self, image: np.ndarray) -> None:
        if self.camera is None:
            self.camera = self._open(image.shape[1], image.shape[0])
        self.camera.send(image)

    def _open(self, width: int, height: int):
        try:
            camera = self.module.Camera(width, height, 30, fmt=self.module.PixelFormat.RGB)
        except Exception as exc:  # pyvirtualcam raises RuntimeError, or ValueError, per backend
            raise TwofaceError("virtual camera", f"no backend ({exc}): {VIRTUAL_HELP}") from None
        self.report(f"live: virtual camera {camera.device} ({width}x{height})")
        return camera

    def close(self) -> None:
        if self.camera is not None:
            self.camera.close()


class _Sinks:
    """Where shown frames go: window, MJPEG stream, recording."""

    def __init__(self, cfg: LiveConfig, record: dict, report: Report) -> None:
        want_window = cfg.window == "on" or (cfg.window == "auto" and cfg.stream_port is None)
        self.window = want_window and _window_available()
        if cfg.window == "on" and not self.window:
            raise TwofaceError("live", "no display for a window here; use --stream to watch in a browser")
        port = (
            cfg.stream_port
            if cfg.stream_port is not None
            else (None if self.window or cfg.window == "off" else 8765)
        )
        self.record, self.stream, self.recorder = record, None, None
        self.virtual = VirtualCamera(report) if cfg.virtual_camera else None  # the likeliest to fail
        try:
            self.stream = MjpegServer(port) if port is not None else None
            if cfg.record:
                self.recorder = VideoWriter(Path(cfg.record), None, record, preset="veryfast", report=report)
        except BaseException:  # what was opened is closed: a sink that cannot be made leaves nothing
            self.close(failed=True)
            raise
        if self.stream is not None:
            report(f"live: watch at http://127.0.0.1:{self.stream.port}/")

    def show(self, image: np.ndarray, shown: np.ndarray, seconds: float) -> bool:
        """Send a frame; False when the user closed the window (q or Esc)."""
        if self.recorder is not None:
            self.recorder.write(label(image), seconds)
        if self.stream is not None:
            self.stream.publish(shown)
        if self.virtual is not None:
            self.virtual.send(shown)
        if self.window:
            cv2.imshow("twoface live", cv2.cvtColor(shown, cv2.COLOR_RGB2BGR))
            return cv2.waitKey(1) & 0xFF not in (ord("q"), 27)
        return True

    def close(self, failed: bool) -> None:
        if self.recorder is not None:
            self.recorder.abort() if failed else self.recorder.close()
        if self.stream is not None:
            self.stream.close()
        if self.virtual is not None:
            self.virtual.close()
        if self.window:
            cv2.destroyAllWindows()


def live(cfg: LiveConfig, report: Report = print) -> LiveStats:
    """Run until the source ends, ``cfg.seconds`` pass, the window is closed or Ctrl-C. The
    sinks are made before the camera is opened, and everything opened is closed (camera,
    threads joined, stream, recording) however the session ends."""
    swapper, record = swapper_for(cfg, report)
    if cfg.source:
        video_info(cfg.source)  # a missing or broken file fails here, with its name
    sinks = _Sinks(cfg, record, report)  # a sink that cannot be made leaves nothing open
    stop, threads = threading.Event(), []
    mailbox, tracked, counter = _Latest(), _Latest(), [0]
    start, latencies = time.monotonic(), []
    failed = True
    try:
        frames = (
            _file_frames(Path(cfg.source), report)
            if cfg.source
            else _camera_frames(open_camera(cfg.camera), cfg.camera)
        )
        tracker = make_tracker(make_detector(cfg.detect.detector, cfg.detect.upsample), cfg.detect, True)
        threads = [
            threading.Thread(target=_grab, args=(frames, mailbox, stop, counter), daemon=True),
            threading.Thread(target=_track, args=(mailbox, tracker, tracked, stop), daemon=True),
        ]
        for thread in threads:
            thread.start()
        start = time.monotonic()
        _show_loop(cfg, swapper, tracked, sinks, start, latencies)
        failed = False
    except KeyboardInterrupt:
        failed = False
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=5)
        sinks.close(failed)
    for box in (mailbox, tracked):
        if box.error is not None:
            raise box.error
    return _stats(counter[0], latencies, mailbox.dropped + tracked.dropped, time.monotonic() - start)


def _show_loop(cfg: LiveConfig, swapper, tracked: _Latest, sinks: _Sinks, start: float, latencies) -> None:
    """Swap and show each tracked frame until the source ends, time is up or the window closes;
    capture-to-display latencies (ms) are appended to ``latencies``."""
    shown_at: deque[float] = deque(maxlen=30)
    while (item := tracked.take()) is not None:
        frame, landmarks, captured = item
        swapped = mark(swapper(frame.image, landmarks))
        now = time.monotonic()
        shown_at.append(now)
        latencies.append((now - captured) * 1000)
        fps = (len(shown_at) - 1) / (shown_at[-1] - shown_at[0]) if len(shown_at) > 1 else 0.0
        shown = label(overlay(swapped, fps, latencies[-1]), where=cfg.label_at or _default_place(cfg))
        if not sinks.show(swapped, shown, now - start):
            return
        if cfg.seconds is not None and now - start >= cfg.seconds:
            return


def _stats(frames_in: int, latencies: list[float], dropped: int, seconds: float) -> LiveStats:
    if not latencies:
        return LiveStats(frames_in, 0, dropped, 0.0, 0.0, 0.0)
    ordered = sorted(latencies)
    return LiveStats(
        frames_in=frames_in,
        frames_shown=len(latencies),
        dropped=dropped,
        fps=len(latencies) / max(seconds, 1e-6),
        latency_ms_median=statistics.median(ordered),
        latency_ms_p95=ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))],
    )
