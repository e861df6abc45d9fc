"""B's patch discriminator: the critic of the GAN term in training (:mod:`twoface.train.gan`).

Input: faces ``(N, 3, O, O)`` RGB in [0, 1] (``O`` a multiple of 8); output one realness score
per overlapping patch, ``(N, 1, O / 8, O / 8)`` with the default depth 3 (each score sees about
46 px of a face). Spectral norm on every conv keeps it from overpowering the decoder.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm


class PatchDiscriminator(nn.Module):
    """``forward(x)``: ``(N, 3, O, O)`` -> ``(N, 1, O / 2**depth, O / 2**depth)`` realness
    scores, one per overlapping patch. Spectral norm keeps it from overpowering the decoder."""

    def __init__(self, channels: int = 32, depth: int = 3) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        c_in = 3
        for i in range(depth):
            c = channels * 2**i
            layers += [spectral_norm(nn.Conv2d(c_in, c, 4, 2, 1)), nn.LeakyReLU(0.2)]
            c_in = c
        layers.append(spectral_norm(nn.Conv2d(c_in, 1, 3, 1, 1)))
        self.body = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x * 2 - 1)
