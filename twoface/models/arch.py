"""The shapes of a model, as plain data (no torch import, so the CLI can list models fast)."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class ArchConfig:
    """Everything that fixes the shapes of a model's weights.

    ``size``: input side (px). ``up_filters``: decoder :class:`Up` blocks past the input
    resolution, each doubling the output, so the output side is
    ``size * 2 ** len(up_filters)`` (:attr:`out_size`): a 64 px encoder can draw 128 px faces.
    ``out_kernel``: the final colour convolution's kernel."""

    size: int
    enc_filters: tuple[int, ...]
    latent: int
    enc_out: int
    dec_filters: tuple[int, ...]
    mask: bool = False
    up_filters: tuple[int, ...] = ()
    out_kernel: int = 5

    @property
    def out_size(self) -> int:
        return self.size * 2 ** len(self.up_filters)

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
            up_filters=tuple(data.get("up_filters", ())),
            out_kernel=int(data.get("out_kernel", 5)),
        )
