"""Training benchmark: twoface's models against a plain port of the reference; prints one JSON
object keyed by model name.

Each entry is measured in a fresh process, on the same faces (extracted from GRID
``samples/grid/s1.mp4`` = A and ``s2.mp4`` = B), batch ``--batch`` per side, the same sampled
batches (twoface's ``FaceData`` sampler and augmentation, seed 0), the same number of steps:
``len(LAYOUTS) * (WARM + TIMED) + 1`` warm-up steps (twoface's layout-tuner trials) and then
``--steps`` timed ones. Fields per entry: ``faces_per_s`` (2 x batch over the median step time;
a step's time includes sampling and augmenting its batches, the same work for every entry, and
``data_share`` reports that part separately), ``s_per_it``, ``peak_rss_mb`` (the process's
VmHWM), ``train_gflop_per_face`` (forward + backward, torch.utils.flop_counter) and
``share_of_matmul_peak``: achieved FLOP/s over the machine's measured float32 matmul peak.

Entries: each of ``--models`` as twoface trains it (one encoder pass over A and B stacked, SSIM
+ L1 loss, fused Adam, the layout tuner), and ``reference_port``: ``bench/reference_original.py``,
the reference deepfakes "Original" autoencoder in plain PyTorch (two encoder passes, L1,
per-tensor Adam, contiguous layout), whose parameter count is asserted equal to twoface's
``original``. Then ``reference_port_faces_per_s`` and ``<model>_over_reference_port`` (faces/s
ratios). ``--precisions fp32 bf16`` also times each model under bfloat16 autocast, as
``twoface train`` runs it on CPUs that compute bf16 natively (``MODEL@bf16``, and its ratio
over float32, ``MODEL@bf16_over_fp32``).
Run: ``.venv/bin/python bench/train.py [--models lite original] [--steps 15] [--precisions fp32 bf16]``.
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
from collections.abc import Callable
from pathlib import Path

from memory import peak_rss_mb

ROOT = Path(__file__).resolve().parent.parent
PORT = "reference_port"


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


def flops_per_face(model, batch: int, size: int) -> float:
    """Training FLOPs per face of ``model(x, side)`` on ``(batch, 3, size, size)`` inputs."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    x = torch.rand(batch, 3, size, size)
    counter = FlopCounterMode(display=False)
    with counter:
        loss = sum(model(x, side)[:, :3].mean() for side in "ab")
        loss.backward()
    model.zero_grad(set_to_none=True)
    return counter.get_total_flops() / (2 * batch)


def measure(
    faces: tuple[str, str],
    sizes: tuple[int, int],
    batch: int,
    steps: int,
    flops: float,
    step: Callable[[list], None],
) -> dict:
    """Time ``step(batches)`` (batches: [(inputs, targets, weights) of A, same of B], uint8
    inputs ``(batch, S, S, 3)`` and targets ``(batch, O, O, 3)`` for ``sizes`` = (S, O), and
    float32 weights) on twoface's sampler; the common fields."""
    import numpy as np

    from twoface.extract.faceset import FaceSet
    from twoface.train.data import AugmentConfig, FaceData
    from twoface.train.loop import MODEL_MARGIN
    from twoface.train.tuning import LAYOUTS, TIMED, WARM
    from twoface.types import CropSpec

    data = [FaceData(FaceSet.open(p), CropSpec(sizes[0], MODEL_MARGIN), sizes[1]) for p in faces]
    warm = len(LAYOUTS) * (WARM + TIMED) + 1  # the tuner's trial steps, then one in its choice
    rng, aug = np.random.default_rng(0), AugmentConfig()
    data_s, total_s = [], []
    for i in range(steps + warm):
        start = time.perf_counter()
        batches = [d.sample(batch, aug, rng) for d in data]
        sampled = time.perf_counter()
        step(batches)
        if i >= warm:
            data_s.append(sampled - start)
            total_s.append(time.perf_counter() - start)
    median = statistics.median(total_s)
    rss = peak_rss_mb()
    peak = matmul_peak_gflops()
    return {
        "faces_per_s": round(2 * batch / median, 2),
        "s_per_it": round(median, 3),
        "data_share": round(sum(data_s) / sum(total_s), 3),
        "peak_rss_mb": round(rss, 1),
        "train_gflop_per_face": round(flops / 1e9, 3),
        "matmul_peak_gflops": round(peak, 1),
        "share_of_matmul_peak": round(flops * 2 * batch / median / 1e9 / peak, 3),
        "batch_per_side": batch,
        "timed_steps": steps,
    }


def one_model(name: str, faces: tuple[str, str], batch: int, steps: int, precision: str = "fp32") -> dict:
    """A twoface model as ``twoface train`` steps it on the CPU, in ``precision``."""
    import torch

    from twoface.models.autoencoder import Paired
    from twoface.models.registry import build
    from twoface.train.loop import train_step
    from twoface.train.losses import LOSSES
    from twoface.train.tuning import LayoutTuner

    model = build(name)
    flops = flops_per_face(model, batch, model.arch.size)
    runner = Paired(model)
    opt = torch.optim.Adam(model.parameters(), lr=5e-5, betas=(0.5, 0.999), fused=True)
    tuner = LayoutTuner(model, opt, "cpu")

    def step(batches: list) -> None:
        start = time.perf_counter()
        train_step(runner, opt, LOSSES["ssim_l1"], batches, "cpu", tuner.layout(), precision=precision)
        tuner.record(time.perf_counter() - start)

    result = measure(faces, (model.arch.size, model.arch.out_size), batch, steps, flops, step)
    return {**result, "layout": str(tuner.current).removeprefix("torch."), "precision": precision}


def one_port(faces: tuple[str, str], batch: int, steps: int) -> dict:
    """The plain reference port, fed the same batches (inputs and targets; no loss weights)."""
    from reference_original import ReferenceOriginal, make_optimizer, train_step

    from twoface.train.data import to_tensor

    model = ReferenceOriginal()
    flops = flops_per_face(model, batch, model.size)
    opt = make_optimizer(model)

    def step(batches: list) -> None:
        train_step(model, opt, [(to_tensor(x), to_tensor(y)) for x, y, _w in batches])

    sizes = (model.size, model.size)
    return {**measure(faces, sizes, batch, steps, flops, step), "layout": "contiguous_format"}


def parameter_counts() -> dict:
    """The port's and twoface ``original``'s parameter counts (both decoders), asserted equal."""
    import torch
    from reference_original import ReferenceOriginal

    from twoface.models.registry import build, count_parameters

    with torch.device("meta"):  # shapes only, no weights allocated
        port, original = count_parameters(ReferenceOriginal()), count_parameters(build("original"))
    assert port == original, f"reference port has {port} parameters, twoface original {original}"
    return {"reference_port_parameters": port, "original_parameters": original}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", nargs="+", default=["lite128", "lite", "lite-dense", "original"])
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--steps", type=int, default=15)
    parser.add_argument(
        "--precisions",
        nargs="+",
        default=["fp32"],
        choices=["fp32", "bf16"],
        help="time each model in these (bf16: entries named MODEL@bf16, and MODEL@bf16_over_fp32)",
    )
    parser.add_argument("--one", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        name, precision, *faces = args.one
        if name == PORT:
            print(json.dumps(one_port(tuple(faces), args.batch, args.steps)))
        else:
            print(json.dumps(one_model(name, tuple(faces), args.batch, args.steps, precision)))
        return
    from twoface.config import ExtractConfig
    from twoface.extract.pipeline import extract

    counts = parameter_counts()
    result = {}
    with tempfile.TemporaryDirectory() as tmp:
        sets = []
        for name in ("s1", "s2"):
            out = Path(tmp) / name
            extract([ROOT / f"samples/grid/{name}.mp4"], out, ExtractConfig(progress=False), lambda _m: None)
            sets.append(str(out))
        runs = [(m, p) for m in args.models for p in args.precisions] + [(PORT, "fp32")]
        for name, precision in runs:
            key = name if precision == "fp32" else f"{name}@{precision}"
            cmd = [sys.executable, __file__, "--one", name, precision, *sets]
            cmd += ["--batch", str(args.batch), "--steps", str(args.steps)]
            run = subprocess.run(cmd, capture_output=True, text=True)
            if run.returncode:
                sys.exit(f"bench/train.py: {key} failed:\n{run.stderr[-3000:]}")
            result[key] = json.loads(run.stdout)
    port = result[PORT]["faces_per_s"]
    result[f"{PORT}_faces_per_s"] = port
    for key in [k for k in result if k != PORT and isinstance(result[k], dict)]:
        result[f"{key}_over_{PORT}"] = round(result[key]["faces_per_s"] / port, 2)
        plain = result.get(key.split("@")[0]) if "@" in key else None
        if plain is not None:
            result[f"{key}_over_fp32"] = round(result[key]["faces_per_s"] / plain["faces_per_s"], 2)
    result.update(counts)
    result["cpu_count"] = len(os.sched_getaffinity(0))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
