"""The person-specific refiner: a small network that puts back the detail B's decoder leaves
out, learnt from B's own face set (no downloaded weights).

Input: B's face as the autoencoder draws it, ``(N, 3, O, O)`` RGB in [0, 1]; output the same
face ``(N, 3, O, O)``, sharper. It trains beside the autoencoder on every step: B's rebuilt
(warped) faces in, B's real crops out. At convert time it runs on A's faces drawn by decoder B,
the swap. It works at half resolution on a space-to-depth copy (4x fewer pixels) and adds a
residual to its input, so it starts as the identity and its cost stays small.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class RefinerConfig:
    channels: int = 32
    blocks: int = 4

    def __post_init__(self) -> None:
        if self.channels < 4 or self.blocks < 1:
            raise ValueError("a refiner needs at least 4 channels and 1 block")

    def to_json(self) -> dict:
        return asdict(self)

    @staticmethod
    def from_json(data: dict) -> RefinerConfig:
        return RefinerConfig(channels=int(data["channels"]), blocks=int(data["blocks"]))


class Refiner(nn.Module):
    """``forward(x)``: ``x`` plus a learnt residual, ``(N, 3, O, O)`` (``O`` even)."""

    def __init__(self, cfg: RefinerConfig = RefinerConfig()) -> None:
        super().__init__()
        self.cfg = cfg
        c = cfg.channels
        layers: list[nn.Module] = [nn.PixelUnshuffle(2), nn.Conv2d(12, c, 3, padding=1), nn.LeakyReLU(0.1)]
        for _ in range(cfg.blocks):
            layers += [nn.Conv2d(c, c, 3, padding=1), nn.LeakyReLU(0.1)]
        last = nn.Conv2d(c, 12, 3, padding=1)
        nn.init.zeros_(last.weight)  # starts as the identity: never worse than no refiner
        nn.init.zeros_(last.bias)
        self.body = nn.Sequential(*layers, last, nn.PixelShuffle(2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)
