"""Speed choices that depend on the machine, measured instead of guessed.

On CPUs the faster tensor layout for a model's convolutions (NCHW contiguous or channels-last)
depends on the model's widths and on oneDNN's kernels for this processor: for ``original`` on
the 2-core EPYC here, contiguous is about 15% faster, for ``lite`` channels-last about 10%. The
:class:`LayoutTuner` times the first real training steps in each layout and keeps the faster;
no step is wasted (they all train). On CUDA channels-last is always used (tensor cores).
"""

from __future__ import annotations

import statistics

import torch

LAYOUTS = (torch.contiguous_format, torch.channels_last)
WARM, TIMED = 1, 2  # steps per layout: discarded, then timed


class LayoutTuner:
    """Call :meth:`layout` before each step and :meth:`record` with its seconds after."""

    def __init__(
        self, model: torch.nn.Module, opt: torch.optim.Optimizer, device: str, tune: bool = True
    ) -> None:
        """``tune`` False (several processes, torch.compile) keeps one layout throughout."""
        self.model, self.opt = model, opt
        cuda = device.startswith("cuda")
        self.trials = [(layout, []) for layout in LAYOUTS] if tune and not cuda else []
        self.chosen = torch.channels_last if cuda else (None if self.trials else torch.contiguous_format)
        self.steps = 0
        self._apply(self.chosen or LAYOUTS[0])

    def _apply(self, layout) -> None:
        """Move weights and the optimizer's per-weight state to ``layout`` together (fused
        Adam walks them as flat memory, so they must match)."""
        self.model.to(memory_format=layout)
        for state in self.opt.state.values():
            for key, value in state.items():
                if torch.is_tensor(value) and value.dim() == 4:
                    state[key] = value.contiguous(memory_format=layout)
        self.current = layout

    def layout(self):
        """The layout for the next step (switching the model when a trial starts)."""
        if self.chosen is None:
            trial = self.steps // (WARM + TIMED)
            if trial < len(self.trials):
                if self.trials[trial][0] != self.current:
                    self._apply(self.trials[trial][0])
            else:
                self.chosen = min(self.trials, key=lambda t: statistics.median(t[1]))[0]
                self._apply(self.chosen)
        return self.current

    def record(self, seconds: float) -> None:
        if self.chosen is None:
            trial, within = divmod(self.steps, WARM + TIMED)
            if trial < len(self.trials) and within >= WARM:
                self.trials[trial][1].append(seconds)
        self.steps += 1
