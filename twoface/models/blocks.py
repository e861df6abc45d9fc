"""Building blocks of the autoencoders. Tensors are ``(B, C, H, W)`` float32 in ``[0, 1]``."""

from __future__ import annotations

import torch
from torch import nn


class Down(nn.Sequential):
    """5x5 stride-2 convolution and LeakyReLU(0.1): halves the size."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__(nn.Conv2d(cin, cout, 5, stride=2, padding=2), nn.LeakyReLU(0.1, inplace=True))


def icnr_(conv: nn.Conv2d, scale: int = 2) -> nn.Conv2d:
    """ICNR initialisation (Aitken et al. 2017; faceswap's ``icnr_init``) of a convolution that
    feeds a pixel shuffle of ``scale``: the ``scale**2`` sub-pixel kernels of each output channel
    (channels ``c * scale**2 ... + scale**2 - 1``, PixelShuffle's order) start as one kernel,
    drawn as PyTorch draws a conv's, so a fresh upsampling is a nearest-neighbour enlargement of
    one convolution and starts without the checkerboard a critic can later amplify."""
    out, cin, kh, kw = conv.weight.shape
    base = nn.Conv2d(cin, out // scale**2, (kh, kw))  # PyTorch's default init, at 1/scale**2 the outputs
    with torch.no_grad():
        conv.weight.copy_(base.weight.repeat_interleave(scale**2, dim=0))
        if conv.bias is not None:
            conv.bias.copy_(base.bias.repeat_interleave(scale**2))
    return conv


class Up(nn.Sequential):
    """3x3 convolution to 4x the channels (ICNR-initialised), LeakyReLU(0.1), pixel shuffle:
    doubles the size."""

    def __init__(self, cin: int, cout: int) -> None:
        conv = icnr_(nn.Conv2d(cin, cout * 4, 3, padding=1))
        super().__init__(conv, nn.LeakyReLU(0.1, inplace=True), nn.PixelShuffle(2))


class Encoder(nn.Module):
    """Convs ``filters`` (each halving), flatten, Dense ``latent``, Dense to
    ``bottleneck x bottleneck x channels``, one :class:`Up` to ``out_channels``. With
    ``latent`` 0 there is no dense pair: the bottleneck is the last conv's spatial map. With
    ``unshuffle`` > 1 a pixel unshuffle first turns the ``(B, 3, S, S)`` input into
    ``(B, 3 * unshuffle**2, S / unshuffle, S / unshuffle)``."""

    def __init__(
        self, size: int, filters: tuple[int, ...], latent: int, out_channels: int, unshuffle: int = 1
    ) -> None:
        super().__init__()
        layers, cin, size = [], 3 * unshuffle**2, size // unshuffle
        if unshuffle > 1:
            layers.append(nn.PixelUnshuffle(unshuffle))
        for f in filters:
            layers.append(Down(cin, f))
            cin = f
        self.convs = nn.Sequential(*layers)
        self.side = size // 2 ** len(filters)
        self.channels = cin
        flat = cin * self.side**2
        self.dense1 = nn.Linear(flat, latent) if latent else None
        self.dense2 = nn.Linear(latent, flat) if latent else None
        self.up = Up(cin, out_channels)

    def forward(self, x):
        x = self.convs(x)
        if self.dense1 is not None:
            x = self.dense2(self.dense1(x.flatten(1))).view(-1, self.channels, self.side, self.side)
        return self.up(x)


class Decoder(nn.Module):
    """:class:`Up` through ``filters``, then a ``kernel`` x ``kernel`` conv to 3 colour channels
    (sigmoid) and, with ``mask``, a fourth mask channel (sigmoid)."""

    def __init__(self, cin: int, filters: tuple[int, ...], mask: bool, kernel: int = 5) -> None:
        super().__init__()
        layers = []
        for f in filters:
            layers.append(Up(cin, f))
            cin = f
        self.ups = nn.Sequential(*layers)
        self.out = nn.Conv2d(cin, 4 if mask else 3, kernel, padding=kernel // 2)

    def forward(self, x):
        return self.out(self.ups(x)).sigmoid()
