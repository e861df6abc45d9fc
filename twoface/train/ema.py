"""An exponential moving average of a model's weights, for previews and convert.

``update`` after every optimiser step moves each averaged tensor towards the live one by
``1 - decay``, with ``decay = min(max_decay, (1 + n) / (10 + n))`` at update ``n``: early on
the average follows the weights closely, later it spans about the last ninth of the run (a
window that grows with the run instead of a fixed one that a short CPU run never fills).
"""

from __future__ import annotations

import copy

import torch
from torch import nn

MAX_DECAY = 0.999


class EMA:
    """The averaged copy ``model`` of a live model (same architecture, eval mode, no grads)."""

    def __init__(self, live: nn.Module, updates: int = 0, state: dict | None = None) -> None:
        self.model = copy.deepcopy(live).eval().requires_grad_(False)
        if state is not None:
            self.model.load_state_dict(state)
        self.updates = updates

    def decay(self) -> float:
        return min(MAX_DECAY, (1 + self.updates) / (10 + self.updates))

    @torch.no_grad()
    def update(self, live: nn.Module) -> None:
        d = self.decay()
        for avg, now in zip(self.model.state_dict().values(), live.state_dict().values(), strict=True):
            if avg.dtype.is_floating_point:
                avg.lerp_(now.detach(), 1.0 - d)
            else:
                avg.copy_(now)
        self.updates += 1
