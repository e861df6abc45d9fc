"""The model family, one registry: name -> architecture (DESIGN.md, "The model family").

- ``original``: the classic 64 px deepfakes autoencoder, layer for layer (82.06 M parameters
  with both decoders).
- ``lite``: the CPU default, about 4x cheaper per step: half the width, and a spatial
  bottleneck (the last conv's 4x4x512 map, no dense pair). On the GRID pair it learns
  recognisable faces in 5 minutes on 2 CPU cores where the dense bottleneck still gives a blur
  (SSIM 0.83 against 0.64 on held-out faces, ``bench/README.md``), and its swaps land nearer
  B and further from A: the shared encoder and the input warp, not the dense layer, keep A's
  identity out.
- ``lite-dense``: ``lite`` with the classic dense bottleneck (512), 20.5 M parameters: the
  plain autoencoder the project started from, kept to compare against.
- ``lite128``: the CPU default: ``lite``'s 64 px encoder (same cost), and decoders that go on
  one :class:`~twoface.models.blocks.Up` block past 64 px to draw 128 px faces (DeepFaceLab's
  ``-d`` idea: the output has twice the input's resolution): 1.2x ``lite``'s training FLOPs,
  and 34 against 48 faces/s in the same ``bench/train.py`` run (the 128 px data and loss).
- ``lite128-s2d``: ``lite128`` fed the 128 px face itself: a pixel unshuffle folds each 2x2
  block into channels, so the 64 px encoder sees every pixel (the mouth's detail that a 64 px
  input loses) for a wider first conv only. Not the default: 8 minutes side by side, its
  mouth was better on the hires pair (inside the noise) and worse on GRID; after 20 minutes
  it was worse on hires too (held-out mouth 0.31 against 0.59: it memorises A's faces sooner;
  ``bench/README.md``).
- ``hd128``: 128 px for GPU users: five convs, 128 px decoders.
- ``hd256``: for GPU users: ``hd128``'s 128 px encoder with a spatial bottleneck, and decoders
  that draw 256 px faces.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from twoface.models.arch import ArchConfig

if TYPE_CHECKING:
    from twoface.models.autoencoder import AutoEncoder


@dataclass(frozen=True)
class ModelSpec:
    """One registry entry: the architecture, the Adam learning rate measured to work for it
    (the dense models diverged at 1e-3, so they keep the reference's 5e-5; ``lite`` trains well
    at 2e-4, and ``lite128`` learned faster at 5e-4 than at 2e-4 side by side under the cosine
    schedule, ``bench/swap_quality.py``) and a line for ``--help``."""

    arch: ArchConfig
    lr: float
    summary: str


LITE128 = ArchConfig(
    size=64,
    enc_filters=(64, 128, 256, 512),
    latent=0,
    enc_out=256,
    dec_filters=(128, 64, 32),
    up_filters=(16,),
    out_kernel=3,
)

MODELS: dict[str, ModelSpec] = {
    "original": ModelSpec(
        ArchConfig(
            size=64, enc_filters=(128, 256, 512, 1024), latent=1024, enc_out=512, dec_filters=(256, 128, 64)
        ),
        lr=5e-5,
        summary="the classic 64 px deepfakes autoencoder (82 M parameters)",
    ),
    "lite": ModelSpec(
        ArchConfig(
            size=64, enc_filters=(64, 128, 256, 512), latent=0, enc_out=256, dec_filters=(128, 64, 24)
        ),
        lr=2e-4,
        summary="64 px, spatial bottleneck, about 4x cheaper than original",
    ),
    "lite-dense": ModelSpec(
        ArchConfig(
            size=64, enc_filters=(64, 128, 256, 512), latent=512, enc_out=256, dec_filters=(128, 64, 24)
        ),
        lr=5e-5,
        summary="lite with the classic dense bottleneck (to compare against)",
    ),
    "lite128": ModelSpec(LITE128, lr=5e-4, summary="64 px encoder, 128 px faces: the CPU default"),
    "lite128-s2d": ModelSpec(
        replace(LITE128, size=128, unshuffle=2),
        lr=5e-4,
        summary="lite128 fed 128 px faces folded space to depth into its 64 px encoder",
    ),
    "hd256": ModelSpec(
        ArchConfig(
            size=128,
            enc_filters=(128, 256, 512, 768, 1024),
            latent=0,
            enc_out=512,
            dec_filters=(384, 256, 128, 64),
            up_filters=(32,),
            out_kernel=3,
        ),
        lr=1e-4,
        summary="128 px encoder, 256 px faces: for GPUs",
    ),
    "hd128": ModelSpec(
        ArchConfig(
            size=128,
            enc_filters=(128, 256, 512, 768, 1024),
            latent=1024,
            enc_out=512,
            dec_filters=(384, 256, 128, 64),
        ),
        lr=5e-5,
        summary="128 px in and out, dense bottleneck: for GPUs",
    ),
}


DEFAULT_MODEL = "lite128"


def build(name: str, mask: bool = False) -> AutoEncoder:
    """A freshly initialised model of a registered architecture."""
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; choose from {', '.join(sorted(MODELS))}")
    from twoface.models.autoencoder import AutoEncoder

    arch = MODELS[name].arch
    return AutoEncoder(ArchConfig(**{**arch.to_json(), "mask": mask}))


def count_parameters(model) -> int:
    return sum(p.numel() for p in model.parameters())
