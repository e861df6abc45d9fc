"""A plain PyTorch port of the reference deepfakes "Original" autoencoder: the baseline that
``bench/train.py`` measures twoface's models against, on the same machine and the same batches.

Tensors are ``(B, C, H, W)`` float32 in the default contiguous memory format. Input
``(B, 3, 64, 64)`` in [0, 1]; output ``(B, 3, 64, 64)`` in (0, 1) (sigmoid).

- Encoder: four 5x5 stride-2 convs, each with LeakyReLU(0.1), 128, 256, 512, 1024 filters
  (64 -> 4 px); flatten; Dense 1024; Dense 4*4*1024; reshape to ``(1024, 4, 4)``; one upscale
  to 512 channels at 8 px.
- Upscale: 3x3 conv to 4x the filters, LeakyReLU(0.1), PixelShuffle(2) (doubles the side).
- Decoders A and B: upscales to 256, 128, 64 channels (64 px), then a 5x5 conv to 3 channels and
  a sigmoid.

Training is kept plain (:func:`train_step`): each side's batch goes through the encoder on its
own (two encoder passes per step), the loss is L1 (mean absolute error) against the target per
side, summed, and one step of standard Adam (lr 5e-5, betas (0.5, 0.999), ``foreach`` and
``fused`` off); no torch.compile, no channels-last, no in-place activations. Weights keep
PyTorch's default initialisation (speed does not depend on it); the strided convs pad 2 on each
side (Keras "same" pads 1 and 2: the same shapes and work).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

SIZE = 64
LR, BETAS = 5e-5, (0.5, 0.999)


def down(cin: int, cout: int) -> nn.Sequential:
    """5x5 stride-2 conv and LeakyReLU(0.1): halves the side."""
    return nn.Sequential(nn.Conv2d(cin, cout, 5, stride=2, padding=2), nn.LeakyReLU(0.1))


def up(cin: int, cout: int) -> nn.Sequential:
    """3x3 conv to ``4 * cout``, LeakyReLU(0.1), PixelShuffle(2): doubles the side."""
    return nn.Sequential(nn.Conv2d(cin, 4 * cout, 3, padding=1), nn.LeakyReLU(0.1), nn.PixelShuffle(2))


def decoder() -> nn.Sequential:
    """``(B, 512, 8, 8)`` -> ``(B, 3, 64, 64)``."""
    ups = (up(512, 256), up(256, 128), up(128, 64))
    return nn.Sequential(*ups, nn.Conv2d(64, 3, 5, padding=2), nn.Sigmoid())


class ReferenceOriginal(nn.Module):
    """Shared ``encoder`` (``(B, 3, 64, 64)`` -> ``(B, 512, 8, 8)``), ``decoder_a``, ``decoder_b``;
    ``forward(x, side)`` rebuilds ``x`` with the decoder of ``side`` ("a" or "b")."""

    size = SIZE

    def __init__(self) -> None:
        super().__init__()
        self.encoder = nn.Sequential(
            down(3, 128),
            down(128, 256),
            down(256, 512),
            down(512, 1024),
            nn.Flatten(),
            nn.Linear(4 * 4 * 1024, 1024),
            nn.Linear(1024, 4 * 4 * 1024),
            nn.Unflatten(1, (1024, 4, 4)),
            up(1024, 512),
        )
        self.decoder_a = decoder()
        self.decoder_b = decoder()

    def forward(self, x: torch.Tensor, side: str) -> torch.Tensor:
        return (self.decoder_a if side == "a" else self.decoder_b)(self.encoder(x))


def make_optimizer(model: nn.Module) -> torch.optim.Adam:
    """Standard per-tensor Adam: neither the multi-tensor (foreach) nor the fused kernel."""
    return torch.optim.Adam(model.parameters(), lr=LR, betas=BETAS, foreach=False, fused=False)


def train_step(
    model: ReferenceOriginal,
    opt: torch.optim.Optimizer,
    sides: list[tuple[torch.Tensor, torch.Tensor]],
) -> tuple[float, float]:
    """One step on ``sides`` = [(warped A, target A), (warped B, target B)], each
    ``(B, 3, 64, 64)``: one encoder pass per side, L1 per side, summed; the two losses."""
    opt.zero_grad(set_to_none=True)
    losses = [F.l1_loss(model(x, side), y) for (x, y), side in zip(sides, "ab", strict=True)]
    sum(losses).backward()
    opt.step()
    return losses[0].item(), losses[1].item()
