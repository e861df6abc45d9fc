"""The command line is built from the registries and the config dataclasses: its choices are
the registries' keys, its defaults the configs' own, and bad settings give one line."""

from __future__ import annotations

import pytest

from twoface import cli
from twoface.config import (
    DIRECTIONS,
    ConvertConfig,
    DetectConfig,
    ExtractConfig,
    LiveConfig,
    OneShotConfig,
    TrainConfig,
)
from twoface.convert.colour import COLOURS
from twoface.extract.detect import DETECTORS
from twoface.facetypes import FACE_TYPES
from twoface.models.registry import MODELS
from twoface.train.losses import LOSSES
from twoface.train.schedule import SCHEDULES

MINIMAL = {
    "extract": ["in.mp4", "-o", "faces"],
    "train": ["-m", "model"],
    "convert": ["in.mp4", "-m", "model", "-o", "out.mp4"],
    "run": ["a.mp4", "b.mp4", "-o", "out.mp4"],
    "swap": ["in.mp4", "--face", "me.jpg", "-o", "out.mp4"],
    "live": ["--face", "me.jpg"],
}


def parse(command: str, *extra: str):
    return cli.build_parser().parse_args([command, *MINIMAL[command], *extra])


def _choices(command: str) -> dict[str, list]:
    sub = next(a for a in cli.build_parser()._actions if a.dest == "command").choices[command]
    return {a.dest: list(a.choices) for a in sub._actions if a.choices is not None}


@pytest.mark.parametrize("command", sorted(MINIMAL))
def test_every_choice_is_a_registry(command):
    registries = {
        "model": sorted(MODELS),
        "colour": list(COLOURS),
        "detector": list(DETECTORS),
        "face_type": list(FACE_TYPES),
        "schedule": list(SCHEDULES),
        "direction": list(DIRECTIONS),
        "loss": list(LOSSES),
    }
    choices = _choices(command)
    for dest, values in choices.items():
        if dest in registries:
            assert values == registries[dest], (command, dest)
    expected = {
        "extract": {"detector"},
        "train": {"model", "face_type", "schedule", "loss"},
        "live": {"colour"},
    }
    assert expected.get(command, {"detector"}) <= set(choices)


def test_flag_defaults_are_the_configs_defaults():
    assert cli.extract_config(parse("extract")) == ExtractConfig()
    assert cli.train_config(parse("train")) == TrainConfig(model_dir="model")
    assert cli.convert_config(parse("convert")) == ConvertConfig(model_dir="model")
    assert cli.swap_config(parse("swap")) == OneShotConfig()
    assert cli.live_config(parse("live")) == LiveConfig(face="me.jpg")


def test_flags_reach_the_embedded_configs():
    cfg = cli.convert_config(parse("convert", "--upsample", "1", "--smoothing", "off", "--colour", "hist"))
    assert cfg.detect == DetectConfig(upsample=1, smoothing=None) and cfg.blend.colour == "hist"


def test_run_detects_faces_at_convert_time_as_it_did_at_extract_time():
    """Defect: ``run --upsample 1`` reached extract only, so convert missed the small faces."""
    extract, train, convert = cli.run_configs(
        parse("run", "--upsample", "1", "--detect-every", "2", "--detect-size", "800", "--minutes", "1")
    )
    assert extract.detect == convert.detect == DetectConfig(upsample=1, detect_every=2, detect_size=800)
    assert train.minutes == 1 and train.mask is False and convert.blend.sharpen == 0.0


@pytest.mark.parametrize(
    ("command", "flags", "words"),
    [
        ("extract", ["--upsample", "5"], "upsample must be 0, 1 or 2"),
        ("extract", ["--every", "0"], "every must be at least 1"),
        ("convert", ["--mask", "elbow"], "unknown mask 'elbow'"),
        ("convert", ["--crf", "99"], "crf is in 0..63"),
        ("swap", ["--threshold", "0"], "identity distance threshold"),
        ("train", ["--batch", "0"], "batch must be at least 1"),
        ("train", ["--sharpen", "1.5"], "fractions of the budget"),
        ("train", ["--warp", "0.5"], "warp is a fraction of the crop"),
        ("train", ["--lr-dropout", "1"], "lr_dropout is a fraction of the updates"),
        ("live", ["--seconds", "-1"], "seconds must be positive"),
    ],
)
def test_bad_settings_give_one_line_and_exit_2(command, flags, words, capsys):
    assert cli.main([command, *MINIMAL[command], *flags]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("twoface: ") and words in err[0], err


def test_smoothing_that_is_not_two_numbers_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_:
        parse("extract", "--smoothing", "fast")
    assert exit_.value.code == 2 and "min_cutoff,beta" in capsys.readouterr().err
