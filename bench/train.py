"""Training benchmark: prints one JSON object keyed by model name.

Per model (a fresh process each, batch ``--batch`` per side on the GRID s1/s2 faces):
``faces_per_s`` (A + B faces trained per second, median over timed steps), ``s_per_it``,
``data_share`` (fraction of step time spent sampling and augmenting), ``peak_rss_mb``,
``train_gflop_per_face`` (forward + backward, torch.utils.flop_counter) and
``share_of_matmul_peak``: achieved FLOP/s over the machine's measured float32 matmul peak.
Run: ``.venv/bin/python bench/train.py [--models lite original]``.
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

from memory import peak_rss_mb

ROOT = Path(__file__).resolve().parent.parent


def matmul_peak_gflops(n: int = 1024, seconds: float = 2.0) -> float:
    """Median float32 GFLOP/s of ``n`` x ``n`` matrix products on the default torch threads."""
    import torch

    a, b = torch.randn(n, n), torch.randn(n, n)
    rates = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        start = time.perf_counter()
        torch.mm(a, b)
        rates.append(2 * n**3 / (time.perf_counter() - start) / 1e9)
    return statistics.median(rates)


def flops_per_face(model, batch: int) -> float:
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    x = torch.rand(batch, 3, model.arch.size, model.arch.size)
    counter = FlopCounterMode(display=False)
    with counter:
        loss = sum(model(x, side)[:, :3].mean() for side in "ab")
        loss.backward()
    return counter.get_total_flops() / (2 * batch)


def one_model(name: str, faces_a: str, faces_b: str, batch: int, steps: int) -> dict:
    import numpy as np
    import torch

    from twoface.extract.faceset import FaceSet
    from twoface.models.autoencoder import Paired
    from twoface.models.registry import build
    from twoface.train.data import AugmentConfig, FaceData
    from twoface.train.loop import MODEL_MARGIN, train_step
    from twoface.train.losses import LOSSES
    from twoface.train.tuning import LAYOUTS, TIMED, WARM, LayoutTuner
    from twoface.types import CropSpec

    model = build(name)
    spec = CropSpec(model.arch.size, MODEL_MARGIN)
    data = [FaceData(FaceSet.open(p), spec) for p in (faces_a, faces_b)]
    flops = flops_per_face(model, batch)
    runner = Paired(model)
    opt = torch.optim.Adam(model.parameters(), lr=5e-5, betas=(0.5, 0.999), fused=True)
    tuner = LayoutTuner(model, opt, "cpu")
    warm = len(LAYOUTS) * (WARM + TIMED) + 1  # the tuner's trial steps, then one in its choice
    rng, aug = np.random.default_rng(0), AugmentConfig()
    data_s, total_s = [], []
    for i in range(steps + warm):
        start = time.perf_counter()
        batches = [d.sample(batch, aug, rng) for d in data]
        sampled = time.perf_counter()
        train_step(runner, opt, LOSSES["ssim_l1"], batches, "cpu", tuner.layout())
        tuner.record(time.perf_counter() - sampled)
        if i >= warm:  # the layout trials are not timed
            data_s.append(sampled - start)
            total_s.append(time.perf_counter() - start)
    step = statistics.median(total_s)
    peak = matmul_peak_gflops()
    return {
        "faces_per_s": round(2 * batch / step, 2),
        "s_per_it": round(step, 3),
        "data_share": round(sum(data_s) / sum(total_s), 3),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "train_gflop_per_face": round(flops / 1e9, 3),
        "matmul_peak_gflops": round(peak, 1),
        "share_of_matmul_peak": round(flops * 2 * batch / step / 1e9 / peak, 3),
        "layout": str(tuner.current).removeprefix("torch."),
        "batch_per_side": batch,
        "timed_steps": steps,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", nargs="+", default=["lite", "lite-dense", "original"])
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--steps", type=int, default=15)
    parser.add_argument("--one", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one_model(*args.one, args.batch, args.steps)))
        return
    from twoface.config import ExtractConfig
    from twoface.extract.pipeline import extract

    result = {}
    with tempfile.TemporaryDirectory() as tmp:
        sets = []
        for name in ("s1", "s2"):
            out = Path(tmp) / name
            extract([ROOT / f"samples/grid/{name}.mp4"], out, ExtractConfig(progress=False), lambda _m: None)
            sets.append(str(out))
        for name in args.models:
            cmd = [
                sys.executable,
                __file__,
                "--one",
                name,
                *sets,
                "--batch",
                str(args.batch),
                "--steps",
                str(args.steps),
            ]
            run = subprocess.run(cmd, capture_output=True, text=True)
            if run.returncode:
                sys.exit(f"bench/train.py: {name} failed:\n{run.stderr[-3000:]}")
            result[name] = json.loads(run.stdout)
    result["reference_original_faces_per_s"] = 6
    result["target_original_faces_per_s"] = 9
    result["cpu_count"] = len(os.sched_getaffinity(0))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
