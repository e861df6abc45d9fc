"""Training defaults that a new model takes when its settings are not given (a resumed model
keeps what its ``model.json`` records). Kept free of torch so the CLI can show them cheaply;
each was measured side by side in ``bench/swap_quality.py`` (bench/README.md)."""

from __future__ import annotations

DEFAULT_BATCH = 8  # per side: on a CPU, more and smaller steps learned faster than 16
DEFAULT_LOSS = "ssim_l1"
# weight of B's patch discriminator (twoface.train.gan); off by default: sharper on GRID's
# 100-140 px faces, but streaks and haloes on 250 px faces (bench/README.md); --gan 0.3 turns it on
DEFAULT_GAN = 0.0
