"""Training B's refiner beside the autoencoder (see :mod:`twoface.models.refiner`).

Each step, after the autoencoder's own step, the refiner takes B's rebuilt faces (detached: the
autoencoder does not learn from the refiner) and learns to turn them into B's real crops (for a
2x refiner, the same crops cut at twice the size), with the autoencoder's loss and weights, by
its own Adam.
"""

from __future__ import annotations

import torch

from twoface.models.refiner import Refiner, RefinerConfig

MIN_FACES = 50  # fewer faces of B than this and the refiner would learn them by heart


class RefinerTrainer:
    def __init__(self, refiner: Refiner, lr: float, loss_fn, device: str) -> None:
        self.refiner = refiner.to(device).train()
        self.loss_fn = loss_fn
        self.opt = torch.optim.Adam(refiner.parameters(), lr=lr, betas=(0.5, 0.999))

    @staticmethod
    def new(lr: float, loss_fn, device: str, state: Refiner | None = None, scale: int = 1) -> RefinerTrainer:
        """A trainer for ``state`` (a refiner loaded from the model folder) or a fresh one of
        ``scale``."""
        return RefinerTrainer(state or Refiner(RefinerConfig(scale=scale)), lr, loss_fn, device)

    def step(self, rendered: torch.Tensor, target: torch.Tensor, weights: torch.Tensor, lr: float) -> float:
        """One step on B's ``rendered`` faces ``(N, 3, O, O)`` towards ``target``
        ``(N, 3, sO, sO)`` (``s`` the refiner's scale) with loss ``weights`` of the same size;
        the loss."""
        for group in self.opt.param_groups:
            group["lr"] = lr
        self.opt.zero_grad(set_to_none=True)
        loss = self.loss_fn(self.refiner(rendered.detach().float()), target, weights)
        loss.backward()
        self.opt.step()
        return loss.item()
