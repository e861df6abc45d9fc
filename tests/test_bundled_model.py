"""The model shipped in samples/grid_model for ``make demo``: small (float16, <= 25 MB), says
how it was made, loads, and swaps GRID s1 into a face that dlib takes for s2."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from safetensors import safe_open

from twoface.demo import BUNDLED, start_from_bundled
from twoface.extract.detect import make_detector
from twoface.extract.identity import embed
from twoface.extract.landmarks import landmarks68

pytestmark = pytest.mark.skipif(not (BUNDLED / "model.json").exists(), reason="no bundled model")


def test_bundled_model_is_small_and_says_how_it_was_made():
    assert (BUNDLED / "model.safetensors").stat().st_size <= 25 * 2**20
    with safe_open(str(BUNDLED / "model.safetensors"), "pt") as fh:
        assert {str(fh.get_tensor(k).dtype) for k in fh.keys()} == {"torch.float16"}  # noqa: SIM118
    made = json.loads((BUNDLED / "model.json").read_text())["bundled"]
    assert "twoface train" in made["how"] and made["steps"] > 1000 and made["minutes"] >= 10


def test_bundled_model_swaps_s1_into_s2(s1_clip, grid_pair, tmp_path):
    from twoface.config import ConvertConfig
    from twoface.convert.pipeline import convert
    from twoface.extract.faceset import FaceSet
    from twoface.media.read import iter_frames

    out = tmp_path / "out.mp4"
    convert([s1_clip], out, ConvertConfig(model_dir=str(BUNDLED), progress=False), report=lambda _l: None)
    a, b = (np.mean([r.embedding_array() for r in FaceSet.open(p).records()], axis=0) for p in grid_pair)
    detect = make_detector("hog", 0)
    nearer_b = 0
    frames = [f.image for f in iter_frames(out)]
    for image in frames[5::10]:
        box = max(detect(image), key=lambda d: d.box[2] - d.box[0]).box
        e = embed(image, landmarks68(image, box))
        nearer_b += np.linalg.norm(e - b) < min(0.6, np.linalg.norm(e - a))
    assert nearer_b == len(frames[5::10])


def test_demo_continues_the_bundled_model_once(tmp_path):
    model = tmp_path / "work" / "model"
    line = start_from_bundled(model)
    assert line is not None and "continuing the bundled model" in line and (model / "model.json").exists()
    assert start_from_bundled(model) is None  # a model already there is trained on, not replaced


def test_the_bundled_critic_comes_with_it_and_a_resume_trains_on_with_it(grid_pair, tmp_path):
    from safetensors.torch import load_file

    from twoface.config import TrainConfig
    from twoface.models import checkpoint
    from twoface.train.loop import train

    meta = json.loads((BUNDLED / "model.json").read_text())
    if not meta.get("discriminator"):
        pytest.skip("the bundled model was trained without the critic")
    shipped = load_file(str(BUNDLED / checkpoint.CRITIC_FILE))
    assert {str(v.dtype) for v in shipped.values()} == {"torch.float16"}
    model = tmp_path / "model"
    start_from_bundled(model)
    lines = []
    at_once = {"gan_start": 0.0, "gan_min_steps": 0, "gan_ssim": 0.0}
    steps = meta["step"] + 1
    cfg = TrainConfig(str(model), *map(str, grid_pair), iterations=steps, batch=2, progress=False, **at_once)
    assert train(cfg, report=lines.append).step == steps
    assert not [line for line in lines if "discriminator" in line]  # loaded, not replaced
    trained = load_file(str(model / checkpoint.CRITIC_FILE))
    assert any(not torch.equal(trained[k], shipped[k].float()) for k in shipped)  # and it trained on
