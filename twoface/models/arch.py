"""The shapes of a model, as plain data (no torch import, so the CLI can list models fast)."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class ArchConfig:
    """Everything that fixes the shapes of a model's weights.

    ``size``: input side (px). ``unshuffle``: the encoder first folds each ``unshuffle`` x
    ``unshuffle`` block of input pixels into channels (space to depth, lossless), so a 128 px
    input runs through a 64 px encoder grid at nearly its cost. ``up_filters``: decoder
    :class:`Up` blocks past the encoder grid, each doubling the output, so the output side is
    ``size // unshuffle * 2 ** len(up_filters)`` (:attr:`out_size`): a 64 px encoder can draw
    128 px faces. ``out_kernel``: the final colour convolution's kernel."""

    size: int
    enc_filters: tuple[int, ...]
    latent: int
    enc_out: int
    dec_filters: tuple[int, ...]
    mask: bool = False
    up_filters: tuple[int, ...] = ()
    out_kernel: int = 5
    unshuffle: int = 1

    def __post_init__(self) -> None:
        """ValueError for shapes no model of this family has (a damaged model.json must not
        allocate a huge network or fail deep inside torch)."""
        filters = (*self.enc_filters, *self.dec_filters, *self.up_filters, self.enc_out, self.latent)
        if not all(isinstance(f, int) and not isinstance(f, bool) for f in (*filters, self.size)):
            raise ValueError("sizes and filter counts must be whole numbers")
        if self.size not in (32, 64, 128, 256) or self.out_size > 1024:
            raise ValueError(f"input size {self.size} (32, 64, 128 or 256; output up to 1024)")
        if not (self.enc_filters and self.dec_filters) or not all(1 <= f <= 4096 for f in filters[:-1]):
            raise ValueError("filter counts must be 1..4096")
        if self.unshuffle not in (1, 2, 4) or self.size % (self.unshuffle * 2 ** len(self.enc_filters)):
            raise ValueError(
                f"unshuffle {self.unshuffle} (1, 2 or 4) times {len(self.enc_filters)} halvings "
                f"must divide the input size {self.size}"
            )
        if not 0 <= self.latent <= 8192 or self.out_kernel not in (1, 3, 5, 7):
            raise ValueError("latent must be 0..8192 and out_kernel 1, 3, 5 or 7")

    @property
    def out_size(self) -> int:
        return self.size // self.unshuffle * 2 ** len(self.up_filters)

    def to_json(self) -> dict:
        return asdict(self)

    @staticmethod
    def from_json(data: dict) -> ArchConfig:
        return ArchConfig(
            size=int(data["size"]),
            enc_filters=tuple(int(f) for f in data["enc_filters"]),
            latent=int(data["latent"]),
            enc_out=int(data["enc_out"]),
            dec_filters=tuple(int(f) for f in data["dec_filters"]),
            mask=bool(data.get("mask", False)),
            up_filters=tuple(int(f) for f in data.get("up_filters", ())),
            out_kernel=int(data.get("out_kernel", 5)),
            unshuffle=int(data.get("unshuffle", 1)),
        )
