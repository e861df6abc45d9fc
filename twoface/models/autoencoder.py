"""The shared-encoder, two-decoder autoencoder. Swapping A to B: encoder, then decoder B."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

from twoface.models.blocks import Decoder, Encoder


@dataclass(frozen=True)
class ArchConfig:
    """Everything that fixes the shapes of a model's weights."""

    size: int
    enc_filters: tuple[int, ...]
    latent: int
    enc_out: int
    dec_filters: tuple[int, ...]
    mask: bool = False

    def to_json(self) -> dict:
        return asdict(self)

    @staticmethod
    def from_json(data: dict) -> ArchConfig:
        return ArchConfig(
            size=int(data["size"]),
            enc_filters=tuple(data["enc_filters"]),
            latent=int(data["latent"]),
            enc_out=int(data["enc_out"]),
            dec_filters=tuple(data["dec_filters"]),
            mask=bool(data.get("mask", False)),
        )


class AutoEncoder(nn.Module):
    """``encoder``, ``decoder_a``, ``decoder_b``. ``forward(x, side)`` rebuilds ``x``
    ``(B, 3, S, S)`` in [0, 1] with the decoder of ``side`` ("a" or "b") and returns
    ``(B, 3 or 4, S, S)``: RGB, then the mask channel when the model learns one."""

    def __init__(self, arch: ArchConfig) -> None:
        super().__init__()
        self.arch = arch
        self.encoder = Encoder(arch.size, arch.enc_filters, arch.latent, arch.enc_out)
        self.decoder_a = Decoder(arch.enc_out, arch.dec_filters, arch.mask)
        self.decoder_b = Decoder(arch.enc_out, arch.dec_filters, arch.mask)

    def decoder(self, side: str) -> Decoder:
        return self.decoder_a if side == "a" else self.decoder_b

    def forward(self, x: torch.Tensor, side: str) -> torch.Tensor:
        return self.decoder(side)(self.encoder(x))


class Paired(nn.Module):
    """The training view of an :class:`AutoEncoder`: one encoder pass over A's and B's batches
    stacked, then each half through its own decoder. ``forward(xa, xb) -> (out_a, out_b)``.
    Every weight takes part in every call, which is what DistributedDataParallel needs."""

    def __init__(self, model: AutoEncoder) -> None:
        super().__init__()
        self.model = model

    def forward(self, xa: torch.Tensor, xb: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        z = self.model.encoder(torch.cat([xa, xb]))
        return self.model.decoder_a(z[: len(xa)]), self.model.decoder_b(z[len(xa) :])
