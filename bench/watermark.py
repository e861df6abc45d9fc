"""Invisible watermark robustness and cost (not in CI): prints one JSON object.

Pictures: the bundled identity photos, frames of every bundled clip (GRID s1/s2, multi/event)
and, when ``../shared/data/hires`` is there, frames of its two clips. For each: ``z`` unmarked
(false positives: any above the threshold), marked, marked then JPEG quality 75, marked then
resized to 50%, and marked then both. Videos: each bundled clip marked frame by frame, written
with H.264 (crf 18, as convert does), then re-encoded by ffmpeg's libx264 at crf 28 (PyAV:
the same library), and checked by ``twoface.media.watermark.check_file``; and every unmarked
clip. Cost: ms to embed one frame at 360x288, 640x480 and 1280x720 (median of 50), and the
PSNR of a marked frame against its original.
Run: ``.venv/bin/python bench/watermark.py``.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data" / "hires"
CLIPS = [ROOT / "samples/grid/s1.mp4", ROOT / "samples/grid/s2.mp4", ROOT / "samples/multi/event.mp4"]


def _clips() -> list[Path]:
    return CLIPS + (sorted(SHARED.glob("*.mp4")) if SHARED.exists() else [])


def _frames(path: Path, n: int) -> list[np.ndarray]:
    from twoface.media.read import iter_frames, video_info

    every = max(1, (video_info(path).frames or n) // n)
    return [f.image for _, f in zip(range(n), iter_frames(path, every=every), strict=False)]


def pictures() -> dict[str, np.ndarray]:
    from twoface.media.read import read_image

    out = {p.name: read_image(p) for p in sorted((ROOT / "samples/identity").glob("*.jpg"))}
    for clip in _clips():
        for i, image in enumerate(_frames(clip, 4)):
            out[f"{clip.stem}#{i}"] = image
    return out


def jpeg(image: np.ndarray, quality: int = 75) -> np.ndarray:
    _ok, data = cv2.imencode(
        ".jpg", cv2.cvtColor(image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality]
    )
    return cv2.cvtColor(cv2.imdecode(data, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def half(image: np.ndarray) -> np.ndarray:
    return cv2.resize(image, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)


def write_video(frames, rate, dst: Path, crf: int) -> Path:
    with av.open(str(dst), "w") as out:
        stream = out.add_stream("libx264", rate=rate)
        stream.height, stream.width = frames[0].shape[:2]
        stream.pix_fmt, stream.options = "yuv420p", {"crf": str(crf)}
        for image in frames:
            out.mux(stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")))
        out.mux(stream.encode())
    return dst


def _all_frames(path: Path) -> tuple[list[np.ndarray], Fraction]:
    from twoface.media.read import iter_frames

    with av.open(str(path)) as c:
        rate = c.streams.video[0].average_rate or Fraction(25)
    return [f.image for f in iter_frames(path)], rate


def videos(tmp: Path) -> dict:
    from twoface.media.watermark import check_file, embed

    out = {}
    for clip in _clips():
        frames, rate = _all_frames(clip)
        frames = frames[:250]
        marked = write_video([embed(f) for f in frames], rate, tmp / f"{clip.stem}_marked.mp4", 18)
        frames_again, _ = _all_frames(marked)
        crf28 = write_video(frames_again, rate, tmp / f"{clip.stem}_crf28.mp4", 28)
        out[clip.stem] = {
            "unmarked_z": round(check_file(clip).z, 2),
            "marked_crf18_z": round(check_file(marked).z, 2),
            "reencoded_crf28_z": round(check_file(crf28).z, 2),
        }
    return out


def cost() -> dict:
    from twoface.media.watermark import embed

    rng = np.random.default_rng(0)
    out = {}
    for w, h in ((360, 288), (640, 480), (1280, 720)):
        image = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
        embed(image)
        times = []
        for _ in range(50):
            began = time.perf_counter()
            embed(image)
            times.append((time.perf_counter() - began) * 1000)
        out[f"{w}x{h}_ms"] = round(statistics.median(times), 2)
    return out


def main() -> None:
    from twoface.media.watermark import THRESHOLD, embed, score

    rows = {}
    for name, image in pictures().items():
        marked = embed(image)
        mse = float(np.mean((marked.astype(np.float64) - image) ** 2))
        rows[name] = {
            "unmarked": round(score(image), 2),
            "marked": round(score(marked), 2),
            "jpeg75": round(score(jpeg(marked)), 2),
            "half": round(score(half(marked)), 2),
            "half_jpeg75": round(score(jpeg(half(marked))), 2),
            "psnr_db": round(10 * np.log10(255**2 / max(mse, 1e-9)), 1),
        }
    with tempfile.TemporaryDirectory() as tmp:
        vids = videos(Path(tmp))
    worst = {k: min(r[k] for r in rows.values()) for k in ("marked", "jpeg75", "half", "half_jpeg75")}
    print(
        json.dumps(
            {
                "threshold": THRESHOLD,
                "pictures": len(rows),
                "false_positives": sum(r["unmarked"] > THRESHOLD for r in rows.values())
                + sum(v["unmarked_z"] > THRESHOLD for v in vids.values()),
                "max_unmarked_z": max(
                    [r["unmarked"] for r in rows.values()] + [v["unmarked_z"] for v in vids.values()]
                ),
                "min_marked_z": worst,
                "detected": {k: sum(r[k] > THRESHOLD for r in rows.values()) for k in worst},
                "videos": vids,
                "embed_cost": cost(),
                "psnr_db_median": statistics.median(r["psnr_db"] for r in rows.values()),
                "per_picture": rows,
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
