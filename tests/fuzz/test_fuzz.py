"""Fuzzing the command line with bad input (hypothesis, a bounded number of examples in CI).

Extract, convert and one-shot are fed random bytes under image and video suffixes, real samples
truncated or with bytes flipped, empty, 1x1 and 20000x20000-header images, one-frame GIFs,
audio-only videos, face-set lines with missing keys or wrong types, and model.json files with
wrong shapes. Every case must end in a correct result or in lines of the form
``twoface: <file>: <problem>`` with a non-zero exit: never a traceback, never a hang past
``LIMIT`` seconds, and never an earlier output lost.

``TWOFACE_FUZZ_EXAMPLES`` sets the examples per property (default 12; CI keeps the default).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import signal
import struct
import tempfile
import zlib
from collections import Counter
from pathlib import Path

import av
import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from twoface.cli import main
from twoface.extract.faceset import FaceSet
from twoface.media.read import media_kind

EXAMPLES = int(os.environ.get("TWOFACE_FUZZ_EXAMPLES", "12"))
LIMIT = 90  # seconds one command may take
IMAGE_SUFFIXES = [".jpg", ".png", ".webp", ".tif", ".bmp", ".gif"]
VIDEO_SUFFIXES = [".mp4", ".mkv", ".avi", ".mov", ".webm"]
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,  # the same cases on every run: a failure in CI reproduces here
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # no shrinking: minutes per failure
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
SAMPLES = Path(__file__).resolve().parents[2] / "samples"
REAL = [SAMPLES / "identity/obama_1.jpg", SAMPLES / "grid/s2.mp4", SAMPLES / "identity/biden_1.jpg"]


class Hang(Exception):
    pass


def run(*argv: str) -> tuple[int, list[str]]:
    """``twoface argv`` in this process: exit code and stderr lines. A traceback
    (any exception main lets out) fails the test; so does a command past ``LIMIT``."""

    def alarm(*_):
        raise Hang(f"twoface {' '.join(argv)} took over {LIMIT} s")

    err = io.StringIO()
    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(LIMIT)
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code = main(list(argv))
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    return code, err.getvalue().strip().splitlines()


def check(code: int, lines: list[str], bad: Path) -> None:
    """A correct result (exit 0), or one or more lines naming a file, and a non-zero exit."""
    assert all(line.startswith("twoface: ") for line in lines), lines
    assert not any("Traceback" in line for line in lines), lines
    if code != 0:
        assert code in (1, 2, 3), (code, lines)
        assert any(str(bad) in line or bad.name in line for line in lines), (bad, lines)


def mangle(data: bytes, cut: float, flips: list[tuple[float, int]]) -> bytes:
    """``data`` cut to the fraction ``cut`` of its length, with bytes at fractions replaced."""
    out = bytearray(data[: max(1, int(len(data) * cut))])
    for where, value in flips:
        out[int(where * (len(out) - 1))] = value
    return bytes(out)


def png_header(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` x ``height`` but holds one row of data."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    data = zlib.compress(b"\x00" + b"\x80" * 3 * min(width, 64))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


def audio_only(path: Path) -> Path:
    with av.open(str(path), "w") as out:
        stream = out.add_stream("aac", rate=16000)
        for i in range(20):
            frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
            frame.sample_rate, frame.pts = 16000, i * 1024
            out.mux(stream.encode(frame))
        out.mux(stream.encode())
    return path


def one_frame_gif(path: Path) -> Path:
    from PIL import Image

    Image.open(SAMPLES / "identity/biden_1.jpg").convert("RGB").save(path)
    return path


@pytest.fixture(scope="module")
def existing(tmp_path_factory) -> Path:
    """A face set that every extract case appends to: its faces must all survive."""
    out = tmp_path_factory.mktemp("fuzz") / "set"
    assert main(["extract", str(SAMPLES / "identity/obama_1.jpg"), "-o", str(out), "--quiet"]) == 0
    return out


def assert_kept(faceset: Path, before: list[str]) -> None:
    files = [r.file for r in FaceSet.open(faceset).records()]
    assert files[: len(before)] == before and all((faceset / "faces" / f).is_file() for f in files)


kinds = st.sampled_from(["random", "mangled", "empty", "tiny", "huge", "gif", "audio"])


def make_input(folder: Path, kind: str, suffix: str, data: bytes, cut: float, flips) -> Path:
    path = folder / f"case{suffix}"
    if kind == "random":
        path.write_bytes(data)
    elif kind == "mangled":
        source = REAL[1] if suffix in VIDEO_SUFFIXES else REAL[0]
        path.write_bytes(mangle(source.read_bytes(), cut, flips))
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "tiny":
        path = folder / "case.png"
        path.write_bytes(png_header(1, 1))
    elif kind == "huge":
        path = folder / "case.png"
        path.write_bytes(png_header(20000, 20000))
    elif kind == "gif":
        path = one_frame_gif(folder / "case.gif")
    else:
        path = audio_only(folder / "case.mp4")
    return path


bad_media = st.tuples(
    kinds,
    st.sampled_from(IMAGE_SUFFIXES + VIDEO_SUFFIXES),
    st.binary(min_size=0, max_size=4096),
    st.floats(0.01, 1.0),
    st.lists(st.tuples(st.floats(0, 1), st.integers(0, 255)), max_size=8),
)


@FUZZ
@given(case=bad_media)
def test_extract_survives_bad_media(existing, case):
    before = [r.file for r in FaceSet.open(existing).records()]
    with tempfile.TemporaryDirectory() as tmp:
        bad = make_input(Path(tmp), *case)
        code, lines = run("extract", str(bad), "-o", str(existing), "--quiet")
    check(code, lines, bad)
    assert_kept(existing, before)


@FUZZ
@given(case=bad_media)
def test_convert_survives_bad_media(tiny_model, case):
    with tempfile.TemporaryDirectory() as tmp:
        bad = make_input(Path(tmp), *case)
        out = Path(tmp) / "out" / ("swapped" + (".mp4" if media_kind(bad) == "video" else ".png"))
        code, lines = run("convert", str(bad), "-m", str(tiny_model), "-o", str(out), "--quiet")
        check(code, lines, bad)
        leftovers = [p.name for p in (Path(tmp) / "out").glob("*")] if (Path(tmp) / "out").exists() else []
        assert all(".partial" not in name for name in leftovers), leftovers


@FUZZ
@given(case=bad_media, as_face=st.booleans())
def test_one_shot_survives_bad_media_as_target_or_face(case, as_face):
    with tempfile.TemporaryDirectory() as tmp:
        bad = make_input(Path(tmp), *case)
        face, target = (bad, REAL[2]) if as_face else (REAL[2], bad)
        out = Path(tmp) / ("out" + (".mp4" if media_kind(target) == "video" else ".png"))
        code, lines = run("swap", "--face", str(face), str(target), "-o", str(out), "--quiet")
    check(code, lines, bad)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.floats(allow_nan=True) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=6,
)


@FUZZ
@given(
    drop=st.sets(st.sampled_from(["file", "landmarks", "crop_from_frame", "embedding", "box", "blur"])),
    wrong=st.dictionaries(st.sampled_from(["landmarks", "frame_index", "crop_size", "pts"]), json_values),
)
def test_a_face_set_with_broken_lines_is_refused_in_one_line(grid_pair, tmp_path_factory, drop, wrong):
    """Lines with missing keys or wrong types: extract into it, sort it and train on it all end
    in one line naming the face set's file, and the face set is left as it was."""
    folder = tmp_path_factory.mktemp("broken") / "set"
    shutil.copytree(grid_pair[0], folder)
    jsonl = folder / "faces.jsonl"
    lines = jsonl.read_text().splitlines()
    record = json.loads(lines[3])
    for key in drop:
        record.pop(key, None)
    record.update(wrong)
    jsonl.write_text("\n".join([*lines[:3], json.dumps(record), *lines[4:]]) + "\n")
    before = jsonl.read_bytes()
    for argv in (
        ("extract", str(SAMPLES / "identity/biden_1.jpg"), "-o", str(folder), "--quiet"),
        ("sort", str(folder), "--by", "blur"),
        (
            "train",
            "-A",
            str(folder),
            "-B",
            str(grid_pair[1]),
            "-m",
            str(folder.parent / "m"),
            "--iterations",
            "1",
        ),
    ):
        code, out = run(*argv)
        if code != 0:
            check(code, out, jsonl)
    after = [_identity(line) for line in jsonl.read_text().splitlines()]
    assert Counter(map(_identity, before.decode().splitlines())) <= Counter(after)  # never lost


def _identity(line: str) -> str:
    """A face set line's crop file name when it parses, else the line itself (damaged lines
    must survive as they are; good ones may be re-serialised when sorted)."""
    with contextlib.suppress(ValueError):
        data = json.loads(line)
        if isinstance(data, dict) and isinstance(data.get("file"), str) and "landmarks" in data:
            return data["file"]
    return line


@FUZZ
@given(
    key=st.sampled_from(["arch", "input_size", "output_size", "crop", "step", "face_type", "config"]),
    value=json_values,
)
def test_a_model_json_with_wrong_shapes_is_refused_in_one_line(tiny_model, tmp_path_factory, key, value):
    folder = tmp_path_factory.mktemp("badmodel") / "m"
    shutil.copytree(tiny_model, folder)
    meta = json.loads((folder / "model.json").read_text())
    if key == "arch":
        meta["config"]["arch"] = value
    else:
        meta[key] = value
    (folder / "model.json").write_text(json.dumps(meta))
    weights = (folder / "model.safetensors").read_bytes()
    out = folder.parent / "out.png"
    code, lines = run(
        "convert", str(SAMPLES / "identity/biden_1.jpg"), "-m", str(folder), "-o", str(out), "--quiet"
    )
    if code != 0:
        assert any(str(folder) in line for line in lines), lines
        assert not out.exists()
    check(code, lines, folder)
    code, lines = run("train", "-m", str(folder), "--minutes", "0.005", "--quiet")
    check(code, lines, folder)
    assert (folder / "model.safetensors").read_bytes() == weights or code == 0  # a refusal keeps it
