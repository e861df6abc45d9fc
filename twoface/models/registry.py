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
- ``hd128``: 128 px for GPU users: five convs, 128 px decoders.
- ``hd256``: for GPU users: ``hd128``'s 128 px encoder with a spatial bottleneck, and decoders
  that draw 256 px faces.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from twoface.models.arch import ArchConfig

if TYPE_CHECKING:
    from twoface.models.autoencoder import AutoEncoder

MODELS: dict[str, ArchConfig] = {
    "original": ArchConfig(
        size=64, enc_filters=(128, 256, 512, 1024), latent=1024, enc_out=512, dec_filters=(256, 128, 64)
    ),
    "lite": ArchConfig(
        size=64, enc_filters=(64, 128, 256, 512), latent=0, enc_out=256, dec_filters=(128, 64, 24)
    ),
    "lite-dense": ArchConfig(
        size=64, enc_filters=(64, 128, 256, 512), latent=512, enc_out=256, dec_filters=(128, 64, 24)
    ),
    "lite128": ArchConfig(
        size=64,
        enc_filters=(64, 128, 256, 512),
        latent=0,
        enc_out=256,
        dec_filters=(128, 64, 32),
        up_filters=(16,),
        out_kernel=3,
    ),
    "hd256": ArchConfig(
        size=128,
        enc_filters=(128, 256, 512, 768, 1024),
        latent=0,
        enc_out=512,
        dec_filters=(384, 256, 128, 64),
        up_filters=(32,),
        out_kernel=3,
    ),
    "hd128": ArchConfig(
        size=128,
        enc_filters=(128, 256, 512, 768, 1024),
        latent=1024,
        enc_out=512,
        dec_filters=(384, 256, 128, 64),
    ),
}


# Adam learning rates measured to work: the dense models diverge above about 2e-4 (5e-5 is the
# reference's), the spatial bottleneck trains well at 2e-4 (bench/swap_quality.py).
DEFAULT_LR = {
    "original": 5e-5,
    "lite": 2e-4,
    "lite-dense": 5e-5,
    "lite128": 2e-4,
    "hd256": 1e-4,
    "hd128": 5e-5,
}
DEFAULT_MODEL = "lite128"


def build(name: str, mask: bool = False) -> AutoEncoder:
    """A freshly initialised model of a registered architecture."""
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; choose from {', '.join(MODELS)}")
    from twoface.models.autoencoder import AutoEncoder

    arch = MODELS[name]
    return AutoEncoder(ArchConfig(**{**arch.to_json(), "mask": mask}))


def count_parameters(model) -> int:
    return sum(p.numel() for p in model.parameters())
