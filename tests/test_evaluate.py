"""The statistics ``twoface evaluate`` reports, as pure functions."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from twoface.evaluate import correlation_interval

seeds = st.integers(0, 2**31 - 1)


@settings(max_examples=30, deadline=None)
@given(seeds, st.floats(0.1, 10.0), st.floats(-5.0, 5.0), st.integers(5, 80))
def test_a_line_through_the_points_gives_an_interval_at_one(seed, slope, offset, n):
    x = np.random.default_rng(seed).normal(size=n)
    low, high = correlation_interval(x, slope * x + offset)
    assert abs(low - 1) < 1e-9 and abs(high - 1) < 1e-9
    low, high = correlation_interval(x, -slope * x + offset)
    assert abs(low + 1) < 1e-9 and abs(high + 1) < 1e-9


@settings(max_examples=30, deadline=None)
@given(seeds, st.floats(0.2, 3.0))
def test_the_interval_is_ordered_holds_the_estimate_and_narrows_with_more_frames(seed, noise):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=800)
    y = x + noise * rng.normal(size=800)
    for n in (40, 800):
        low, high = correlation_interval(x[:n], y[:n])
        r = float(np.corrcoef(x[:n], y[:n])[0, 1])
        assert -1 <= low <= r <= high <= 1
    chunks = [correlation_interval(x[i : i + 40], y[i : i + 40]) for i in range(0, 800, 40)]
    low, high = correlation_interval(x, y)
    # 20x the frames: about 1/4.5 of the width (one 40-frame chunk alone can be lucky)
    assert high - low < np.median([h - lo for lo, h in chunks]) / 2.5
    assert correlation_interval(x[:40], y[:40]) == correlation_interval(x[:40], y[:40])
