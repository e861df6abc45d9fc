"""The shared-encoder, two-decoder autoencoder. Swapping A to B: encoder, then decoder B."""

from __future__ import annotations

import torch
from torch import nn

from twoface.models.arch import ArchConfig
from twoface.models.blocks import Decoder, Encoder

__all__ = ["ArchConfig", "AutoEncoder", "Paired"]


class AutoEncoder(nn.Module):
    """``encoder``, ``decoder_a``, ``decoder_b``. ``forward(x, side)`` rebuilds ``x``
    ``(B, 3, S, S)`` in [0, 1] with the decoder of ``side`` ("a" or "b") and returns
    ``(B, 3 or 4, O, O)`` (``O`` = ``arch.out_size``): RGB, then the mask channel when the
    model learns one."""

    def __init__(self, arch: ArchConfig) -> None:
        super().__init__()
        self.arch = arch
        self.encoder = Encoder(arch.size, arch.enc_filters, arch.latent, arch.enc_out, arch.unshuffle)
        filters = (*arch.dec_filters, *arch.up_filters)
        self.decoder_a = Decoder(arch.enc_out, filters, arch.mask, arch.out_kernel)
        self.decoder_b = Decoder(arch.enc_out, filters, arch.mask, arch.out_kernel)

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
