"""Live benchmark: prints one JSON object.

``twoface live`` with a file standing in for a 640x480 camera: GRID s1 scaled to 600x480 and
padded to 640x480, re-timed to ``--source-fps`` (default 50, above the targets, so the source
is not the limit). For the one-shot mode (``--face`` photo) and the default model's mode (a
freshly initialised model: speed does not depend on training): frames shown per second and
capture-to-display latency, median and 95th percentile, over ``--seconds`` (default 12).
``--backends torch auto`` times the model mode on each backend (the shown frames carry the
invisible watermark, as they always do). Targets on the 2-core CPU: 25 frames/s one-shot,
15 with a model, latency under 100 ms.
Run: ``.venv/bin/python bench/live.py``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from fractions import Fraction
from pathlib import Path

import av
import cv2

ROOT = Path(__file__).resolve().parent.parent


def make_source(dst: Path, fps: int, seconds: float) -> Path:
    with av.open(str(ROOT / "samples/grid/s1.mp4")) as inp, av.open(str(dst), "w") as out:
        v = out.add_stream("libx264", rate=fps)
        v.width, v.height, v.pix_fmt = 640, 480, "yuv420p"
        v.codec_context.time_base = Fraction(1, fps)
        for n, frame in enumerate(inp.decode(video=0)):
            if n >= fps * seconds:
                break
            big = cv2.resize(frame.to_ndarray(format="rgb24"), (600, 480), interpolation=cv2.INTER_CUBIC)
            padded = cv2.copyMakeBorder(big, 0, 0, 20, 20, cv2.BORDER_CONSTANT, value=(20, 20, 20))
            new = av.VideoFrame.from_ndarray(padded, format="rgb24")
            new.pts, new.time_base = n, Fraction(1, fps)
            out.mux(v.encode(new))
        out.mux(v.encode())
    return dst


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=12.0)
    parser.add_argument("--source-fps", type=int, default=50)
    parser.add_argument("--backends", nargs="+", default=["auto"], help="LiveConfig.backend values")
    args = parser.parse_args()
    from twoface.config import ExtractConfig, LiveConfig, TrainConfig
    from twoface.extract.pipeline import extract
    from twoface.live import live
    from twoface.train.loop import train

    result = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        source = make_source(root / "cam.mp4", args.source_fps, args.seconds)
        extract(
            [ROOT / "samples/grid/s2.mp4"], root / "faces", ExtractConfig(progress=False), lambda _m: None
        )
        faces = str(root / "faces")
        train(
            TrainConfig(str(root / "lite"), faces, faces, iterations=1, batch=2, progress=False),
            lambda _m: None,
        )
        modes = {
            "one_shot": LiveConfig(face=str(ROOT / "samples/identity/biden_1.jpg")),
            **{
                f"lite128/{b}" if len(args.backends) > 1 else "lite128": LiveConfig(
                    model_dir=str(root / "lite"), backend=b
                )
                for b in args.backends
            },
        }
        for name, cfg in modes.items():
            stats = live(
                LiveConfig(**{**cfg.__dict__, "source": str(source), "window": "off"}), lambda _m: None
            )
            result[name] = {
                "frames_per_s": round(stats.fps, 1),
                "latency_ms_median": round(stats.latency_ms_median, 1),
                "latency_ms_p95": round(stats.latency_ms_p95, 1),
                "frames_shown": stats.frames_shown,
                "frames_dropped": stats.dropped,
            }
    result["source"] = {"size": "640x480", "fps": args.source_fps, "seconds": args.seconds}
    result["targets"] = {"one_shot_frames_per_s": 25, "model_frames_per_s": 15, "latency_ms": 100}
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
