"""C2PA signing benchmark: prints one JSON object.

The cost of adding Content Credentials to a file twoface has written: a 640x480 JPEG and PNG
(a GRID s1 frame, scaled) and a 2-second 360x288 H.264 MP4 with audio (the first 50 frames of
GRID s1, the cut clip as its source ingredient, as ``twoface convert`` signs it). Median of
``--repeats`` signings (default 20) of fresh copies, with the signer already loaded; the video's
per-frame equivalent; the bytes each manifest adds; and the one-off costs (making the local
signer, the first signing in a process). Keys live in a temporary config folder.
Run: ``.venv/bin/python bench/credentials.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import av
import cv2

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def median_sign_ms(path: Path, record: dict, source: Path | None, repeats: int) -> tuple[float, int]:
    from twoface.media.credentials import sign

    times, added = [], 0
    for n in range(repeats):
        copy = path.with_name(f"copy{n}{path.suffix}")
        shutil.copy(path, copy)
        times.append(timed(lambda c=copy: sign(c, record, source)))
        added = copy.stat().st_size - path.stat().st_size
        copy.unlink()
    return round(statistics.median(times), 2), added


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="twoface-c2pa-bench-"))
    os.environ["TWOFACE_CONFIG_DIR"] = str(folder / "config")
    from conftest import cut_clip

    from twoface.media.credentials import resolve_signer, sign
    from twoface.media.provenance import provenance
    from twoface.media.write import VideoWriter, write_image

    try:
        record = provenance("autoencoder a2b", "grid (step 30)", "s1.mp4")
        made_ms = timed(resolve_signer)
        clip = cut_clip(ROOT / "samples/grid/s1.mp4", folder / "s1_2s.mp4", 2.0)
        with av.open(str(clip)) as c:
            frames = [(f.to_ndarray(format="rgb24"), f.time) for f in c.decode(video=0)]
        still = cv2.resize(frames[0][0], (640, 480), interpolation=cv2.INTER_CUBIC)
        first = folder / "first.jpg"
        write_image(first, still, record, sign=False)
        result = {"first_sign_in_process_ms": round(timed(lambda: sign(first, record)), 1)}  # + import, key
        for name, suffix in (("jpeg_640x480", ".jpg"), ("png_640x480", ".png")):
            path = folder / f"still{suffix}"
            write_ms = timed(lambda p=path: write_image(p, still, record, sign=False))
            ms, added = median_sign_ms(path, record, None, args.repeats)
            result[name] = {
                "sign_ms_median": ms,
                "write_ms_unsigned": round(write_ms, 1),
                "bytes_added": added,
            }
        video = folder / "out.mp4"
        writer = VideoWriter(video, clip, record, preset="ultrafast", report=lambda _m: None, sign=False)
        for image, pts in frames:
            writer.write(image, pts)
        writer.close()
        ms, added = median_sign_ms(video, record, clip, args.repeats)
        height, width = frames[0][0].shape[:2]
        result[f"mp4_2s_{width}x{height}"] = {
            "sign_ms_median": ms,
            "frames": len(frames),
            "sign_ms_per_frame": round(ms / len(frames), 3),
            "bytes_added": added,
            "file_bytes": video.stat().st_size,
        }
        result["local_signer_made_ms"] = round(made_ms, 1)
        result["repeats"] = args.repeats
        print(json.dumps(result, indent=2))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
