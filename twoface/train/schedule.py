"""Learning-rate schedules over one run's budget, one registry.

Each maps ``progress`` (0 at the run's start, 1 at the end of its ``--minutes`` or
``--iterations`` budget; None when the run has no budget) and the warm-up fraction to a factor
of the base learning rate. A resumed run schedules its own budget afresh (a warm restart).
"""

from __future__ import annotations

import math
from collections.abc import Callable

FLOOR = 0.1  # cosine ends at this fraction of the base rate


def constant(progress: float | None, warmup: float) -> float:
    return 1.0


def cosine(progress: float | None, warmup: float) -> float:
    """Linear warm-up from 0 over ``warmup``, then half a cosine from 1 down to ``FLOOR``."""
    if progress is None:
        return 1.0
    if progress < warmup:
        return max(progress / warmup, 0.01)
    t = min((progress - warmup) / max(1.0 - warmup, 1e-9), 1.0)
    return FLOOR + (1.0 - FLOOR) * 0.5 * (1.0 + math.cos(math.pi * t))


SCHEDULES: dict[str, Callable[[float | None, float], float]] = {"cosine": cosine, "constant": constant}
