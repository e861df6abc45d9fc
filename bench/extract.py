"""Extract benchmark: prints one JSON object keyed by input name.

For each input: end-to-end ``frames_per_s`` and ``faces_per_s`` (decode, detect/track,
landmarks, align, embed, write PNG + JSONL; median of ``--runs``), and ``peak_rss_mb`` of a
fresh process doing it. Plus ``jitter`` on GRID s1 (a static head): mean frame-to-frame motion
of landmarks in px, raw and One-Euro smoothed, over the rigid points (brows, nose, eyes) and
all 68. Run: ``.venv/bin/python bench/extract.py``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from memory import peak_rss_mb

ROOT = Path(__file__).resolve().parent.parent
INPUTS = {"grid_s1": ROOT / "samples/grid/s1.mp4", "multi_event": ROOT / "samples/multi/event.mp4"}
UPSAMPLE = {"grid_s1": 0, "multi_event": 1}


def one_run(name: str) -> dict:
    from twoface.config import DetectConfig, ExtractConfig
    from twoface.extract.pipeline import extract

    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        summary = extract(
            [INPUTS[name]],
            Path(tmp) / "set",
            ExtractConfig(detect=DetectConfig(upsample=UPSAMPLE[name]), progress=False),
            report=lambda _m: None,
        )
        seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "frames": summary.frames_read,
        "faces": summary.faces_kept,
        "peak_rss_mb": peak_rss_mb(),
    }


def measure(name: str, runs: int) -> dict:
    results = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, __file__, "--one", name], capture_output=True, text=True, check=True
        )
        results.append(json.loads(out.stdout))
    secs = [r["seconds"] for r in results]
    return {
        "frames": results[0]["frames"],
        "faces": results[0]["faces"],
        "upsample": UPSAMPLE[name],
        "frames_per_s": round(statistics.median(r["frames"] / r["seconds"] for r in results), 1),
        "faces_per_s": round(statistics.median(r["faces"] / r["seconds"] for r in results), 1),
        "seconds_median": round(statistics.median(secs), 2),
        "peak_rss_mb": round(max(r["peak_rss_mb"] for r in results), 1),
        "runs": runs,
    }


def jitter() -> dict:
    from twoface.extract.detect import make_hog
    from twoface.extract.track import Tracker
    from twoface.media.read import iter_frames

    frames = list(iter_frames(INPUTS["grid_s1"]))
    tracked = {}
    for label, smoothing in (("raw", None), ("smoothed", (1.0, 4.0))):
        tracker = Tracker(make_hog(), detect_every=5, smoothing=smoothing)
        tracked[label] = np.stack([tracker.update(f)[0].landmarks for f in frames])

    def motion(points: np.ndarray) -> float:
        return round(float(np.linalg.norm(np.diff(points, axis=0), axis=2).mean()), 3)

    out = {f"{label}_rigid_px": motion(p[:, 17:48]) for label, p in tracked.items()}
    out |= {f"{label}_all68_px": motion(p) for label, p in tracked.items()}
    out["rigid_reduction"] = round(1 - out["smoothed_rigid_px"] / out["raw_rigid_px"], 3)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one_run(args.one)))
        return
    report = {name: measure(name, args.runs) for name in INPUTS}
    report["grid_s1"]["jitter"] = jitter()
    report["target"] = {"grid_s1_frames_per_s": 60}
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
