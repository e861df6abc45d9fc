"""Reconstruction losses, one registry. Each takes ``pred`` and ``target`` ``(B, 3, S, S)``
in [0, 1] and per-pixel ``weights`` ``(B, 1, S, S)``, and returns a scalar."""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F


def _gaussian_window(size: int = 11, sigma: float = 1.5, device=None) -> torch.Tensor:
    x = torch.arange(size, dtype=torch.float32, device=device) - size // 2
    g = torch.exp(-(x**2) / (2 * sigma**2))
    g = g / g.sum()
    return (g[:, None] * g[None, :]).expand(3, 1, size, size).contiguous()


def ssim_map(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Per-pixel SSIM (Wang et al. 2004; 11 px Gaussian window, sigma 1.5), ``(B, 3, S, S)``."""
    w = _gaussian_window(device=pred.device).to(pred.dtype)
    pad = w.shape[-1] // 2

    def blur(x):
        return F.conv2d(F.pad(x, [pad] * 4, mode="replicate"), w, groups=3)

    mu_p, mu_t = blur(pred), blur(target)
    var_p = blur(pred * pred) - mu_p**2
    var_t = blur(target * target) - mu_t**2
    cov = blur(pred * target) - mu_p * mu_t
    c1, c2 = 0.01**2, 0.03**2
    return ((2 * mu_p * mu_t + c1) * (2 * cov + c2)) / ((mu_p**2 + mu_t**2 + c1) * (var_p + var_t + c2))


def _weighted(per_pixel: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    return (per_pixel * weights).sum() / (weights.sum() * per_pixel.shape[1])


def l1(pred, target, weights):
    return _weighted((pred - target).abs(), weights)


def mse(pred, target, weights):
    return _weighted((pred - target) ** 2, weights)


def ssim_l1(pred, target, weights):
    """DSSIM ``(1 - SSIM) / 2`` plus L1, both weighted by the face mask."""
    return _weighted((1 - ssim_map(pred, target)) / 2, weights) + l1(pred, target, weights)


LOSSES: dict[str, Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]] = {
    "ssim_l1": ssim_l1,
    "l1": l1,
    "mse": mse,
}
