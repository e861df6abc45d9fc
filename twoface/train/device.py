"""Picking the compute device: CUDA, then Apple MPS, then CPU."""

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
