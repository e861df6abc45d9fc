"""onnxruntime against PyTorch for the swap model (not in CI): prints one JSON object.

For each model (``--models``, untrained weights: the cost does not depend on them), the plain
``.onnx`` export is timed in onnxruntime (CPU provider) against :func:`twoface.convert.swap.run_model`
(PyTorch, this machine's threads), interleaved, ``--calls`` calls each after a warm-up, at the
batch sizes of live (1 face) and of convert on a two-person frame (2 faces). Each call's input
is uint8 faces at the model's input size, and its output float RGB at the output size, as
convert uses them. ``speedup`` = PyTorch median / onnxruntime median.
Run: ``.venv/bin/python bench/export.py [--models lite128 lite] [--calls 100]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np


def _swap(name: str):
    from twoface.convert.swap import SwapModel
    from twoface.facetypes import FACE_TYPES
    from twoface.models.registry import MODELS, build
    from twoface.types import CropSpec

    arch = MODELS[name].arch
    model = build(name).eval()
    return SwapModel(model, name, CropSpec(arch.size, FACE_TYPES["face"].margin), "cpu", "", 0, arch.out_size)


def _timed(fn, calls: int) -> list[float]:
    out = []
    for _ in range(calls):
        began = time.perf_counter()
        fn()
        out.append((time.perf_counter() - began) * 1000)
    return out


def measure(name: str, batch: int, calls: int, folder: Path) -> dict:
    import onnxruntime as ort

    from twoface.convert.swap import run_model
    from twoface.export import write_export

    swap = _swap(name)
    sess = ort.InferenceSession(
        str(write_export(swap, folder / f"{name}.onnx")), providers=["CPUExecutionProvider"]
    )
    size = swap.spec.size
    faces = np.random.default_rng(0).integers(0, 256, (batch, size, size, 3), dtype=np.uint8)

    def torch_call():
        run_model(swap, faces)

    def ort_call():
        x = np.ascontiguousarray(faces.transpose(0, 3, 1, 2), dtype=np.float32) / 255
        out = sess.run(["as_b"], {"face": x})[0]
        np.ascontiguousarray(out[:, :3].transpose(0, 2, 3, 1))

    for fn in (torch_call, ort_call):
        _timed(fn, 5)
    torch_ms, ort_ms = [], []
    for _ in range(calls // 10):
        torch_ms += _timed(torch_call, 10)
        ort_ms += _timed(ort_call, 10)
    t, o = statistics.median(torch_ms), statistics.median(ort_ms)
    return {
        "model": name,
        "faces": batch,
        "torch_ms": round(t, 2),
        "onnxruntime_ms": round(o, 2),
        "speedup": round(t / o, 2),
    }


def main() -> None:
    import torch

    parser = argparse.ArgumentParser()
    parser.add_argument("--models", nargs="+", default=["lite128", "lite"])
    parser.add_argument("--calls", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rows = [measure(m, b, args.calls, Path(tmp)) for m in args.models for b in (1, 2)]
    print(json.dumps({"torch_threads": torch.get_num_threads(), "runs": rows}, indent=1))


if __name__ == "__main__":
    main()
