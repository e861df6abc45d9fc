"""Convert benchmark: prints one JSON object.

End-to-end ``frames_per_s`` of ``twoface convert`` (decode, detect/track, landmarks, model,
colour, mask, paste, H.264 encode, audio copy; median of ``--runs`` fresh processes) on GRID s1
(360x288, 600 frames) and on a 720p clip (s1's first 5 s scaled to 900x720 and padded to
1280x720), with each of ``--models`` (default ``lite128``, ``lite``, ``original``); and peak
RSS converting a long video (s1 looped by
remuxing to ``--long-minutes``, default 10) next to the peak on s1 alone, to show memory does
not grow with length. Models are freshly initialised (speed does not depend on training).
Run: ``.venv/bin/python bench/convert.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import av
import cv2
import numpy as np
from memory import peak_rss_mb

ROOT = Path(__file__).resolve().parent.parent
S1 = ROOT / "samples/grid/s1.mp4"


def make_720p(dst: Path, seconds: float = 5.0) -> Path:
    with av.open(str(S1)) as inp, av.open(str(dst), "w") as out:
        v = out.add_stream("libx264", rate=inp.streams.video[0].average_rate)
        v.width, v.height, v.pix_fmt = 1280, 720, "yuv420p"
        for frame in inp.decode(video=0):
            if frame.time >= seconds:
                break
            big = cv2.resize(frame.to_ndarray(format="rgb24"), (900, 720), interpolation=cv2.INTER_CUBIC)
            padded = cv2.copyMakeBorder(big, 0, 0, 190, 190, cv2.BORDER_CONSTANT, value=(20, 20, 20))
            out.mux(v.encode(av.VideoFrame.from_ndarray(padded, format="rgb24")))
        out.mux(v.encode())
    return dst


def make_long(dst: Path, minutes: float) -> Path:
    """``S1`` repeated by remuxing its packets with shifted timestamps (no re-encode)."""
    with av.open(str(S1)) as probe:
        length = float(probe.duration) / 1e6
    loops = max(1, round(minutes * 60 / length))
    with av.open(str(dst), "w") as out:
        streams = None
        for i in range(loops):
            with av.open(str(S1)) as inp:
                if streams is None:
                    streams = {s.index: out.add_stream_from_template(s) for s in inp.streams}
                for packet in inp.demux():
                    if packet.dts is None:
                        continue
                    shift = round(i * length / packet.time_base)
                    packet.pts += shift
                    packet.dts += shift
                    packet.stream = streams[packet.stream.index]
                    out.mux(packet)
    return dst


def make_model(folder: Path, name: str, faces: Path) -> Path:
    from twoface.config import TrainConfig
    from twoface.train.loop import train

    cfg = TrainConfig(
        model_dir=str(folder),
        faceset_a=str(faces),
        faceset_b=str(faces),
        model=name,
        iterations=1,
        batch=2,
        progress=False,
    )
    train(cfg, report=lambda _m: None)
    return folder


def one_run(video: str, model: str, backend: str = "auto") -> dict:
    from twoface.config import ConvertConfig
    from twoface.convert.pipeline import convert

    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        summary = convert(
            [video],
            Path(tmp) / "out.mp4",
            ConvertConfig(model_dir=model, backend=backend, progress=False),
            lambda _m: None,
        )
        seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "frames": summary.frames,
        "faces": summary.faces_swapped,
        "peak_rss_mb": peak_rss_mb(),
    }


def measure(video: Path, model: Path, runs: int, backend: str = "auto") -> dict:
    results = []
    for _ in range(runs):
        cmd = [sys.executable, __file__, "--one", str(video), str(model), backend]
        results.append(json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout))
    secs = [r["seconds"] for r in results]
    return {
        "frames": results[0]["frames"],
        "faces": results[0]["faces"],
        "frames_per_s": round(results[0]["frames"] / statistics.median(secs), 1),
        "seconds": [round(s, 2) for s in secs],
        "peak_rss_mb": round(statistics.median(r["peak_rss_mb"] for r in results), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--models", nargs="+", default=["lite128", "lite", "original"])
    parser.add_argument("--long-minutes", type=float, default=10.0)
    parser.add_argument("--one", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument(
        "--backends", nargs="+", default=["auto"], help="ConvertConfig.backend values, measured in turn"
    )
    parser.add_argument("--clips", nargs="+", default=["grid_s1", "720p"])
    parser.add_argument("--memory-only", action="store_true", help="only the short/long peak RSS")
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one_run(*args.one)))
        return
    from twoface.config import ExtractConfig
    from twoface.extract.pipeline import extract

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        extract(
            [ROOT / "samples/grid/s2.mp4"], root / "faces", ExtractConfig(progress=False), lambda _m: None
        )
        models = {name: make_model(root / name, name, root / "faces") for name in args.models}
        clips = {"grid_s1": S1, **({"720p": make_720p(root / "720p.mp4")} if "720p" in args.clips else {})}
        result: dict = {"frames_per_s": {}}
        for clip, path in clips.items():
            for name, folder in models.items():
                for backend in [] if args.memory_only else args.backends:
                    key = f"{clip}/{name}" + (f"/{backend}" if len(args.backends) > 1 else "")
                    result["frames_per_s"][key] = measure(path, folder, args.runs, backend)
        if args.long_minutes > 0:  # 0: speeds only
            long = make_long(root / "long.mp4", args.long_minutes)
            result["memory"] = {
                "short_s1_peak_rss_mb": measure(S1, models[args.models[0]], 1)["peak_rss_mb"],
                f"long_{args.long_minutes:g}min_peak_rss_mb": measure(long, models[args.models[0]], 1)[
                    "peak_rss_mb"
                ],
            }
        result["target_grid_s1_default_model_frames_per_s"] = 25
        result["cpu_count"] = len(os.sched_getaffinity(0))
        result["numpy"] = np.__version__
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
