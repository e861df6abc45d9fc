"""The person-specific refiner: a small network that puts back the detail B's decoder leaves
out, learnt from B's own face set (no downloaded weights).

Input: B's face as the autoencoder draws it, ``(N, 3, O, O)`` RGB in [0, 1]; output the same
face ``(N, 3, sO, sO)``, sharper, where ``s`` is the config's ``scale``: 1 refines at the
decoder's size, 2 draws the face at twice it (a 128 px model then pastes 256 px faces; the
target is B's real crop cut at 256 px from the face set, which keeps faces at their own
resolution up to 512 px). It trains beside the autoencoder on every step: B's rebuilt (warped)
faces in, B's real crops out. At convert time it runs on A's faces drawn by decoder B, the
swap. It works at half the input's resolution on a space-to-depth copy (4x fewer pixels) and
adds a residual to its input (bicubic-enlarged for ``scale`` 2), so it starts as the identity
or a plain enlargement and its cost stays small.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

SCALES = (1, 2)


@dataclass(frozen=True)
class RefinerConfig:
    channels: int = 32
    blocks: int = 4
    scale: int = 1

    def __post_init__(self) -> None:
        if self.channels < 4 or self.blocks < 1:
            raise ValueError("a refiner needs at least 4 channels and 1 block")
        if self.channels > 512 or self.blocks > 32 or self.scale not in SCALES:
            raise ValueError(f"a refiner has at most 512 channels and 32 blocks, scale {SCALES}")

    def to_json(self) -> dict:
        return asdict(self)

    @staticmethod
    def from_json(data: dict) -> RefinerConfig:
        """Refiners from before ``scale`` refine at the decoder's size (scale 1)."""
        return RefinerConfig(int(data["channels"]), int(data["blocks"]), int(data.get("scale", 1)))


class Refiner(nn.Module):
    """``forward(x)``: ``x`` (enlarged ``scale`` times) plus a learnt residual,
    ``(N, 3, O, O) -> (N, 3, sO, sO)`` (``O`` even)."""

    def __init__(self, cfg: RefinerConfig = RefinerConfig()) -> None:
        super().__init__()
        self.cfg = cfg
        c, out = cfg.channels, 2 * cfg.scale
        layers: list[nn.Module] = [nn.PixelUnshuffle(2), nn.Conv2d(12, c, 3, padding=1), nn.LeakyReLU(0.1)]
        for _ in range(cfg.blocks):
            layers += [nn.Conv2d(c, c, 3, padding=1), nn.LeakyReLU(0.1)]
        last = nn.Conv2d(c, 3 * out * out, 3, padding=1)
        nn.init.zeros_(last.weight)  # starts as the identity (or a plain enlargement)
        nn.init.zeros_(last.bias)
        self.body = nn.Sequential(*layers, last, nn.PixelShuffle(out))

    @property
    def scale(self) -> int:
        return self.cfg.scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return enlarge(x, self.scale, "bicubic") + self.body(x)


def enlarge(x: torch.Tensor, scale: int, mode: str = "bilinear") -> torch.Tensor:
    """``(N, C, H, W) -> (N, C, sH, sW)``; ``x`` itself for scale 1."""
    return x if scale == 1 else F.interpolate(x, scale_factor=scale, mode=mode, align_corners=False)


def finish(drawn: torch.Tensor, refiner: Refiner | None, refine: bool) -> torch.Tensor:
    """A decoder's output ``(N, 3 or 4, O, O)`` at the size the model pastes, ``(N, C, sO, sO)``:
    the RGB through ``refiner`` when ``refine`` (the faces decoder B draws), else enlarged
    (bilinear); a mask channel enlarged. Without a refiner, ``drawn`` itself."""
    if refiner is None:
        return drawn
    rgb = refiner(drawn[:, :3]) if refine else enlarge(drawn[:, :3], refiner.scale)
    return torch.cat([rgb, enlarge(drawn[:, 3:], refiner.scale)], 1) if drawn.shape[1] > 3 else rgb
