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

import torch

from twoface.models.discriminator import PatchDiscriminator


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
