"""Contract tests over the model registry."""

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from twoface.models import checkpoint
from twoface.models.registry import MODELS, build, count_parameters


@pytest.mark.parametrize("name", sorted(MODELS))
@pytest.mark.parametrize("mask", [False, True])
def test_output_shape_and_range(name, mask):
    model = build(name, mask)
    s = model.arch.size
    out = model(torch.rand(2, 3, s, s), "b")
    o = model.arch.out_size
    assert out.shape == (2, 4 if mask else 3, o, o)
    assert out.min() >= 0 and out.max() <= 1


@pytest.mark.parametrize("name", sorted(MODELS))
def test_backward_reaches_encoder_and_only_the_used_decoder(name):
    model = build(name)
    s = model.arch.size
    model(torch.rand(2, 3, s, s), "a").mean().backward()
    assert all(p.grad is not None for p in model.encoder.parameters())
    assert all(p.grad is not None for p in model.decoder_a.parameters())
    assert all(p.grad is None for p in model.decoder_b.parameters())


@pytest.mark.parametrize("name", sorted(MODELS))
def test_save_and_load_give_identical_outputs(name, tmp_path):
    torch.manual_seed(0)
    model = build(name).eval()
    s = model.arch.size
    x = torch.rand(2, 3, s, s)
    crop = {"size": s, "margin": 0.1}
    meta = {
        "format_version": 1,
        "model": name,
        "config": {"arch": model.arch.to_json()},
        "crop": crop,
        "step": 7,
    }
    checkpoint.save(tmp_path, model, meta, {"state": {}, "param_groups": []}, "step,loss_a,loss_b,seconds\n")
    loaded = checkpoint.load(tmp_path).model.eval()
    with torch.no_grad():
        assert torch.equal(model(x, "a"), loaded(x, "a"))
        assert torch.equal(model(x, "b"), loaded(x, "b"))


def test_original_matches_the_reference_size():
    assert round(count_parameters(build("original")) / 1e6, 2) == 82.06


def _train_flops(name: str) -> int:
    model = build(name)
    x = torch.rand(1, 3, model.arch.size, model.arch.size)
    with FlopCounterMode(display=False) as counter:
        model(x, "a").mean().backward()
    return counter.get_total_flops()


def test_lite_is_at_least_four_times_cheaper_than_original():
    assert _train_flops("original") >= 4 * _train_flops("lite")


@pytest.mark.parametrize("name", sorted(MODELS))
def test_every_entry_carries_a_learning_rate_and_a_summary(name):
    spec = MODELS[name]
    assert 1e-6 <= spec.lr <= 1e-3 and spec.summary
    assert build(name).arch.size == spec.arch.size


def test_lite_has_the_spatial_bottleneck_and_lite_dense_the_dense_one():
    assert build("lite").encoder.dense1 is None
    assert build("lite-dense").encoder.dense1.out_features == 512


def test_the_default_model_draws_128_px_faces_from_a_64_px_encoder_at_lite_cost():
    from twoface.models.registry import DEFAULT_MODEL

    model = build(DEFAULT_MODEL)
    assert (model.arch.size, model.arch.out_size) == (64, 128)
    assert _train_flops(DEFAULT_MODEL) <= 1.3 * _train_flops("lite")


def test_hd256_draws_256_px_faces():
    assert build("hd256").arch.out_size == 256


@pytest.mark.parametrize("cin,cout", [(3, 1), (16, 8), (64, 32)])
def test_a_fresh_upsampling_is_a_nearest_neighbour_enlargement(cin, cout):
    """ICNR: before training, every Up block's four sub-pixels of a 2x2 cell are equal (no
    checkerboard), and its weights are spread as PyTorch's default init spreads them."""
    from twoface.models.blocks import Up

    torch.manual_seed(cin)
    up = Up(cin, cout)
    y = up(torch.rand(2, cin, 6, 6))
    assert y.shape == (2, cout, 12, 12)
    cells = y.unfold(2, 2, 2).unfold(3, 2, 2).reshape(2, cout, 6, 6, 4)
    assert torch.allclose(cells, cells[..., :1].expand_as(cells), atol=1e-6)
    assert y.std() > 0  # not a constant
    bound = 1 / (cin * 9) ** 0.5  # kaiming_uniform(a=sqrt(5)) of a conv: U(-1/sqrt(fan_in), +)
    weight = up[0].weight
    assert weight.abs().max() <= bound and weight.std() > 0.4 * bound


@pytest.mark.parametrize("name", sorted(MODELS))
def test_every_upsampling_of_every_model_starts_as_one_kernel_per_output_channel(name):
    """Every entry's Up blocks (encoder and decoders) are ICNR-initialised."""
    from twoface.models.blocks import Up

    ups = [m for m in build(name).modules() if isinstance(m, Up)]
    assert ups
    for up in ups:
        w = up[0].weight.view(-1, 4, *up[0].weight.shape[1:])
        assert torch.equal(w, w[:, :1].expand_as(w)), name


def test_lite128_s2d_sees_every_pixel_of_a_128_px_face_through_lite128s_encoder_grid():
    """The space-to-depth input is lossless: a change to one input pixel reaches the encoder,
    which a 64 px input shrunk by area blurs into its neighbours' average."""
    model = build("lite128-s2d")
    assert (model.arch.size, model.arch.out_size, model.arch.unshuffle) == (128, 128, 2)
    assert model.encoder.side == build("lite128").encoder.side
    x = torch.rand(1, 3, 128, 128)
    folded = model.encoder.convs[0](x)
    assert folded.shape == (1, 12, 64, 64) and torch.equal(torch.nn.PixelShuffle(2)(folded), x)
    assert _train_flops("lite128-s2d") <= 1.2 * _train_flops("lite128")


def test_an_unshuffle_that_does_not_divide_the_input_is_refused_and_old_configs_read_as_1():
    from twoface.models.arch import ArchConfig

    arch = MODELS["lite128"].arch.to_json()
    with pytest.raises(ValueError, match="unshuffle"):
        ArchConfig.from_json({**arch, "unshuffle": 3})
    with pytest.raises(ValueError, match="unshuffle"):
        ArchConfig.from_json({**arch, "size": 32, "unshuffle": 4})  # 8 px left for four halvings
    del arch["unshuffle"]
    assert ArchConfig.from_json(arch).unshuffle == 1
