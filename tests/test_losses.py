"""Contract tests over the loss registry, and the CLI's copy of its names."""

import pytest
import torch

from twoface.cli import LOSS_NAMES
from twoface.train.losses import LOSSES


def test_the_cli_offers_exactly_the_registered_losses():
    assert set(LOSS_NAMES) == set(LOSSES)


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_zero_on_a_perfect_rebuild_and_larger_the_further_off(name):
    torch.manual_seed(0)
    target = torch.rand(2, 3, 32, 32)
    weights = torch.ones(2, 1, 32, 32)
    noise = torch.rand_like(target) - 0.5
    near = (target + 0.1 * noise).clamp(0, 1)
    far = (target + 0.5 * noise).clamp(0, 1)
    loss = LOSSES[name]
    assert float(loss(target, target, weights)) == pytest.approx(0, abs=1e-5)
    assert 0 < float(loss(near, target, weights)) < float(loss(far, target, weights))


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_pixels_of_weight_zero_do_not_count(name):
    target = torch.rand(1, 3, 32, 32)
    pred = target.clone()
    pred[..., :, 24:] = 1 - pred[..., :, 24:]  # wrong only on the right
    weights = torch.ones(1, 1, 32, 32)
    weights[..., :, 16:] = 0  # ... where nothing counts (SSIM's window reaches 5 px)
    assert float(LOSSES[name](pred, target, weights)) == pytest.approx(0, abs=1e-4)
