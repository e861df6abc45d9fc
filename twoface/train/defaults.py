"""Training defaults that a new model takes when its settings are not given (a resumed model
keeps what its ``model.json`` records). Kept free of torch so the CLI can show them cheaply;
each was measured side by side in ``bench/swap_quality.py`` (bench/README.md)."""

from __future__ import annotations

DEFAULT_BATCH = 8  # per side: on a CPU, more and smaller steps learned faster than 16
DEFAULT_LOSS = "ssim_l1"
# weight of B's patch discriminator (twoface.train.gan). It joins after half the budget and only
# once B is rebuilt to SSIM 0.9 (TrainConfig.gan_ssim): on GRID, 20 minutes, sharpness 0.70
# against 0.52 without it; joining a model still drawing blurs (the 250 px hires faces at half
# the budget, SSIM 0.78) it drew streaks and haloes, which the SSIM gate keeps out
DEFAULT_GAN = 0.3
