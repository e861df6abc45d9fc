"""Picking the compute device (CUDA, then Apple MPS, then CPU) and the training precision."""

from __future__ import annotations

import torch


def pick_device(requested: str = "auto") -> str:
    """``"auto"`` gives ``"cuda"`` when present, else ``"mps"``, else ``"cpu"``."""
    if requested != "auto":
        return requested
    if torch.cuda.is_available():
        return "cuda"
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def pick_precision(requested: str, device: str) -> str:
    """``"auto"`` gives ``"bf16"`` (bfloat16 autocast, weights and optimiser in float32) on CUDA
    and on CPUs with native bfloat16 arithmetic (AVX512-BF16 or AMX: 1.31x faster training steps
    of ``lite128`` here, ``bench/train.py``), else ``"fp32"``. MPS always trains in float32."""
    if requested != "auto":
        return requested
    if device.startswith("cuda"):
        return "bf16"
    return "bf16" if device == "cpu" and cpu_has_bf16() else "fp32"


def cpu_has_bf16() -> bool:
    """Whether oneDNN runs bfloat16 natively on this CPU (without, bf16 is emulated and slower)."""
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def autocast(device: str, precision: str):
    """The autocast context of a training step: bfloat16 for ``precision`` "bf16", else off."""
    return torch.autocast(device_type=device.split(":")[0], dtype=torch.bfloat16, enabled=precision == "bf16")
