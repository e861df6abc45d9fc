"""The model family, one registry: name -> architecture (DESIGN.md, "The model family").

- ``original``: the classic 64 px deepfakes autoencoder, layer for layer (82.06 M parameters
  with both decoders).
- ``lite``: the same shape at half the width, about 4x cheaper per step: the CPU default.
- ``hd128``: 128 px for GPU users: five convs, 128 px decoders.
"""

from __future__ import annotations

from twoface.models.autoencoder import ArchConfig, AutoEncoder

MODELS: dict[str, ArchConfig] = {
    "original": ArchConfig(
        size=64, enc_filters=(128, 256, 512, 1024), latent=1024, enc_out=512, dec_filters=(256, 128, 64)
    ),
    "lite": ArchConfig(
        size=64, enc_filters=(64, 128, 256, 512), latent=512, enc_out=256, dec_filters=(128, 64, 24)
    ),
    "hd128": ArchConfig(
        size=128,
        enc_filters=(128, 256, 512, 768, 1024),
        latent=1024,
        enc_out=512,
        dec_filters=(384, 256, 128, 64),
    ),
}


def build(name: str, mask: bool = False) -> AutoEncoder:
    """A freshly initialised model of a registered architecture."""
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; choose from {', '.join(MODELS)}")
    arch = MODELS[name]
    return AutoEncoder(ArchConfig(**{**arch.to_json(), "mask": mask}))


def count_parameters(model) -> int:
    return sum(p.numel() for p in model.parameters())
