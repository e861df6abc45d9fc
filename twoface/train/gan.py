"""A patch discriminator for B's decoder (DeepFaceLab's "GAN power").

A reconstruction loss rewards the mean of what a face could look like, so an autoencoder
that is still unsure where an edge goes draws no edge: the face comes out soft. A small
discriminator that judges 16x16 patches of B's face (real crops against B's rebuilt ones)
pays the decoder for texture that looks real. It switches on late in the run, once the
decoder draws B's face in the right place, and weighs little beside the reconstruction loss.

Conventions: faces ``(N, 3, O, O)`` RGB in [0, 1], the face mask ``(N, 1, O, O)`` (the loss
weights; only the face, where weights >= 1, is shown to the discriminator). Least-squares GAN
losses (Mao et al. 2017): real patches aim at 1, rebuilt ones at 0; the decoder's term pulls
its patches towards 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import torch

from twoface.models.discriminator import PatchDiscriminator
from twoface.train.data import to_tensor
from twoface.train.losses import luma, ssim_map

CHECK_EVERY = 50  # steps between the gate's looks at B's rebuild


class Adversary:
    """The discriminator and its optimiser. Per step: :meth:`decoder_loss` on B's rebuilt faces
    (with grad, added to the decoder's loss before its backward), then :meth:`step` with the
    same faces detached and B's real crops."""

    def __init__(self, weight: float, lr: float, device: str, state: dict | None = None) -> None:
        self.weight = weight
        self.net = PatchDiscriminator()
        if state is not None:  # resumed from the model folder
            self.net.load_state_dict(state)
        self.net = self.net.to(device).train()
        self.opt = torch.optim.Adam(self.net.parameters(), lr=lr, betas=(0.5, 0.999))

    def decoder_loss(self, fake: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """``weight`` x the least-squares distance of the fake patches' scores from "real"."""
        self.net.requires_grad_(False)  # the decoder's backward needs no grads for D
        score = self.net(fake * (mask >= 1))
        self.net.requires_grad_(True)
        return self.weight * ((score - 1) ** 2).mean()

    def set_lr(self, lr: float) -> None:
        for group in self.opt.param_groups:
            group["lr"] = lr

    def step(self, fake: torch.Tensor, real: torch.Tensor, mask: torch.Tensor) -> float:
        """One discriminator step; its loss."""
        self.opt.zero_grad(set_to_none=True)
        face = (mask >= 1).float()
        real_score = self.net(real * face)
        fake_score = self.net(fake.detach().float() * face)
        loss = 0.5 * (((real_score - 1) ** 2).mean() + (fake_score**2).mean())
        loss.backward()
        self.opt.step()
        return loss.item()


@dataclass
class GanGate:
    """When the critic joins: after ``start`` of the budget, not before step ``min_steps``, and
    once decoder B rebuilds B's fixed faces (``faces``: RGB uint8 ``(n, O, O, 3)`` at the
    output crop, unwarped) to a mean luma SSIM of ``ssim`` (0: no such wait), looked at every
    :data:`CHECK_EVERY` steps. A critic that joins a model still drawing blurs pays it for
    texture in the wrong places (streaks, haloes: bench/README.md). Once open it stays open;
    ``opened``: ``(step, ssim)`` when it opened (ssim None when it had none to wait for)."""

    start: float
    min_steps: int
    ssim: float
    faces: np.ndarray
    opened: tuple[int, float | None] | None = None

    def __call__(self, progress: float | None, step: int, model) -> bool:
        if self.opened is not None:
            return True
        if progress is None or progress < self.start or step < self.min_steps:
            return False
        if self.ssim > 0 and step % CHECK_EVERY:
            return False
        if self.ssim <= 0:
            self.opened = (step, None)
        elif (score := rebuild_ssim(model, self.faces)) >= self.ssim:
            self.opened = (step, score)
        return self.opened is not None


def rebuild_ssim(model, faces: np.ndarray) -> float:
    """Mean luma SSIM of ``faces`` (RGB uint8 ``(n, O, O, 3)``, the output crop) against
    decoder B's rebuild of them (shrunk by area to the model's input)."""
    device = next(model.parameters()).device
    s = model.arch.size
    small = np.stack([cv2.resize(f, (s, s), interpolation=cv2.INTER_AREA) for f in faces])
    was_training = model.training
    model.eval()
    with torch.no_grad():
        out = model(to_tensor(small).to(device), "b")[:, :3].float()
    model.train(was_training)
    target = to_tensor(faces).to(device)
    return float(ssim_map(luma(out), luma(target)).mean())
